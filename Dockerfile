# The image the manifests in deploy/ run as thaw:0.1.0: the node agent, the scheduler
# extender and the launcher are its commands. Build it from a checkout, after packaging:
#
#   mvn -B -DskipTests package && docker build -t thaw:0.1.0 .
#
# The agent builds its guest image (kernel and initramfs from Debian packages, guest/build.sh)
# on first start, on the node, into $THAW_CACHE_DIR: the guest is told the node's own TSC
# rate, so it is not baked in here. $THAW_CACHE_DIR lies under the agent's hostPath
# (/var/lib/thaw, deploy/agent-daemonset.yaml): one build per node, kept across restarts.
# That build runs apt-get download: the package lists stay in the image.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openjdk-17-jre-headless \
      qemu-system-x86 qemu-utils \
      socat \
      util-linux \
      libfuse2 \
      kmod cpio gzip xz-utils zstd gcc libc6-dev \
      erofs-utils e2fsprogs squashfs-tools \
      ca-certificates
COPY thaw-cli/target/thaw-cli.jar /opt/thaw/thaw-cli.jar
COPY thaw-cli/target/lib/ /opt/thaw/lib/
ENV THAW_CACHE_DIR=/var/lib/thaw/guest-image
ENTRYPOINT ["java", "-jar", "/opt/thaw/thaw-cli.jar"]
