package dev.thaw.image;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Opens the {@link ImageSource} a reference names:
 *
 * <ul>
 *   <li>an existing directory: an OCI image layout; {@code DIR:NAME} picks the image whose {@code
 *       org.opencontainers.image.ref.name} is NAME;
 *   <li>an existing file: an image tarball, an OCI archive (a tar of a layout) or a {@code docker
 *       save} tarball; {@code FILE:NAME} picks by ref name or by {@code repo:tag};
 *   <li>anything else: a registry reference ({@link ImageReference#parse}).
 * </ul>
 *
 * Registry credentials, first found wins: {@link Registries#credentials()} (flags or the
 * environment), then the Docker config file's {@code auths}, else anonymous. Registries are spoken
 * to over HTTPS, trusting the JDK's certificate authorities and {@link
 * Registries#caCertificates()}; those on loopback ({@code localhost}, {@code 127.x}, {@code [::1]})
 * and those listed as insecure fall back to plain HTTP when TLS fails, as Docker does.
 */
public final class ImageSources {
  private ImageSources() {}

  /**
   * How to reach registries.
   *
   * @param credentials used for every registry when present (flags or environment)
   * @param dockerConfig the Docker client config to take credentials from (may not exist)
   * @param insecure registries ({@code host:port}) to reach over plain HTTP
   * @param timeout for connecting and for each response's headers
   * @param caCertificates a PEM file of certificate authorities to trust besides the JDK's (a
   *     private registry's own CA)
   */
  public record Registries(
      Optional<RegistryCredentials> credentials,
      Path dockerConfig,
      Set<String> insecure,
      Duration timeout,
      Optional<Path> caCertificates) {
    public Registries {
      Objects.requireNonNull(credentials, "credentials");
      Objects.requireNonNull(dockerConfig, "dockerConfig");
      insecure = Set.copyOf(insecure);
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(caCertificates, "caCertificates");
    }

    /** Settings trusting only the JDK's certificate authorities. */
    public Registries(
        Optional<RegistryCredentials> credentials,
        Path dockerConfig,
        Set<String> insecure,
        Duration timeout) {
      this(credentials, dockerConfig, insecure, timeout, Optional.empty());
    }

    /**
     * The defaults for this environment: credentials from {@code THAW_REGISTRY_USERNAME} and {@code
     * THAW_REGISTRY_PASSWORD} when both are set, the Docker config file, a 30 s timeout.
     */
    public static Registries fromEnvironment(Map<String, String> env) {
      String user = env.get("THAW_REGISTRY_USERNAME");
      String password = env.get("THAW_REGISTRY_PASSWORD");
      Optional<RegistryCredentials> c =
          user != null && !user.isEmpty() && password != null
              ? Optional.of(new RegistryCredentials(user, password))
              : Optional.empty();
      return new Registries(
          c, DockerConfigCredentials.defaultFile(env), Set.of(), Duration.ofSeconds(30));
    }

    /** These settings with {@code c} for every registry (empty: the Docker config's). */
    public Registries withCredentials(Optional<RegistryCredentials> c) {
      return new Registries(c, dockerConfig, insecure, timeout, caCertificates);
    }

    /** These settings also trusting the authorities of the PEM file {@code pem}. */
    public Registries withCaCertificates(Optional<Path> pem) {
      return new Registries(credentials, dockerConfig, insecure, timeout, pem);
    }

    /** Whether {@code registry} may fall back to plain HTTP when TLS fails. */
    boolean mayFallBackToHttp(String registry) {
      String host = registry.replaceFirst(":[0-9]+$", "");
      return insecure.contains(registry)
          || host.equals("localhost")
          || host.startsWith("127.")
          || host.equals("[::1]");
    }
  }

  /**
   * Opens what {@code reference} names.
   *
   * @throws IllegalArgumentException when it is neither an existing path nor a valid reference
   */
  public static ImageSource open(String reference, Registries registries) throws IOException {
    Optional<ImageSource> local = local(reference);
    if (local.isPresent()) {
      return local.get();
    }
    ImageReference ref = ImageReference.parse(reference);
    Optional<RegistryCredentials> credentials = registries.credentials();
    if (credentials.isEmpty()) {
      credentials = DockerConfigCredentials.lookup(registries.dockerConfig(), ref.registry());
    }
    HttpClient.Builder http =
        HttpClient.newBuilder()
            .connectTimeout(registries.timeout())
            .followRedirects(HttpClient.Redirect.NEVER);
    if (registries.caCertificates().isPresent()) {
      http.sslContext(RegistryTrust.withExtraAuthorities(registries.caCertificates().get()));
    }
    return new RegistrySource(
        new RegistryClient(
            http.build(),
            registries.mayFallBackToHttp(ref.registry()),
            ref,
            credentials,
            registries.timeout()),
        ref);
  }

  private static Optional<ImageSource> local(String reference) throws IOException {
    Path path = Path.of(reference);
    Optional<String> name = Optional.empty();
    if (!Files.exists(path)) {
      int colon = reference.indexOf(':');
      if (colon <= 0 || !Files.exists(Path.of(reference.substring(0, colon)))) {
        return Optional.empty();
      }
      path = Path.of(reference.substring(0, colon));
      name = Optional.of(reference.substring(colon + 1));
    }
    if (Files.isDirectory(path)) {
      return Optional.of(new OciLayoutSource(BlobFiles.directory(path), path.toString(), name));
    }
    return Optional.of(tarball(path, name));
  }

  private static ImageSource tarball(Path file, Optional<String> name) throws IOException {
    byte[] head;
    try (var in = Files.newInputStream(file)) {
      head = in.readNBytes(512);
    }
    if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      throw new NotAnImageException(
          file + ": a compressed tarball; decompress it first (gunzip), images are read in place");
    }
    if (head.length < 512
        || !new String(head, 257, 5, java.nio.charset.StandardCharsets.US_ASCII).equals("ustar")) {
      throw new NotAnImageException(
          file + ": not an image (neither an OCI layout directory nor a tar file)");
    }
    BlobFiles files = BlobFiles.tar(file);
    if (files.size("oci-layout") >= 0 && files.size("index.json") >= 0) {
      return new OciLayoutSource(files, file.toString(), name);
    }
    return new DockerArchiveSource(files, file.toString(), name);
  }
}
