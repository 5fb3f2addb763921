package dev.thaw.image;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS trust for registries: the JDK's certificate authorities plus those of a PEM file (a private
 * registry's own CA). Host names are checked as always.
 */
final class RegistryTrust {
  private RegistryTrust() {}

  /** A context trusting the JDK's authorities and every certificate in {@code pem}. */
  static SSLContext withExtraAuthorities(Path pem) throws IOException {
    try {
      KeyStore extra = KeyStore.getInstance(KeyStore.getDefaultType());
      extra.load(null, null);
      int n = 0;
      try (InputStream in = Files.newInputStream(pem)) {
        for (Certificate c :
            java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          extra.setCertificateEntry("registry-ca-" + n++, c);
        }
      }
      if (n == 0) {
        throw new IllegalArgumentException(pem + " holds no PEM certificate");
      }
      X509ExtendedTrustManager own = trustManager(extra);
      X509ExtendedTrustManager jdk = trustManager(null);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new javax.net.ssl.TrustManager[] {either(own, jdk)}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read the registry certificates in " + pem + ": " + e, e);
    }
  }

  private static X509ExtendedTrustManager trustManager(KeyStore store)
      throws GeneralSecurityException {
    TrustManagerFactory f =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(store);
    for (var tm : f.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager");
  }

  /** Trusts a server chain either trust manager trusts. */
  private static X509ExtendedTrustManager either(
      X509ExtendedTrustManager a, X509ExtendedTrustManager b) {
    return new X509ExtendedTrustManager() {
      @Override
      public void checkServerTrusted(X509Certificate[] chain, String auth, Socket s)
          throws CertificateException {
        try {
          a.checkServerTrusted(chain, auth, s);
        } catch (CertificateException e) {
          b.checkServerTrusted(chain, auth, s);
        }
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String auth, SSLEngine engine)
          throws CertificateException {
        try {
          a.checkServerTrusted(chain, auth, engine);
        } catch (CertificateException e) {
          b.checkServerTrusted(chain, auth, engine);
        }
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String auth)
          throws CertificateException {
        try {
          a.checkServerTrusted(chain, auth);
        } catch (CertificateException e) {
          b.checkServerTrusted(chain, auth);
        }
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String auth, Socket s)
          throws CertificateException {
        throw new CertificateException("a registry client checks no clients");
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String auth, SSLEngine engine)
          throws CertificateException {
        throw new CertificateException("a registry client checks no clients");
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String auth)
          throws CertificateException {
        throw new CertificateException("a registry client checks no clients");
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        X509Certificate[] x = a.getAcceptedIssuers();
        X509Certificate[] y = b.getAcceptedIssuers();
        X509Certificate[] all = java.util.Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, all, x.length, y.length);
        return all;
      }
    };
  }
}
