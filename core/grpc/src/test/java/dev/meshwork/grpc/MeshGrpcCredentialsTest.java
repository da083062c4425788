package dev.meshwork.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.meshwork.Mesh;
import io.grpc.InsecureChannelCredentials;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Credentials of a mesh without transport security; mTLS is tested in meshwork-tls. */
class MeshGrpcCredentialsTest {

  private final Mesh mesh = Mesh.builder().build();

  @AfterEach
  void close() {
    mesh.close();
  }

  @Test
  void channelsOfAMeshWithoutTransportSecurityArePlaintext() {
    assertThat(MeshGrpc.channelCredentials(mesh, "mesh:///reviews"))
        .isInstanceOf(InsecureChannelCredentials.class);
  }

  @Test
  void serverCredentialsNeedTransportSecurity() {
    assertThatThrownBy(() -> MeshGrpc.serverCredentials(mesh))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "serverCredentials: the mesh has no transport security (expected"
                + " Mesh.Builder.transportSecurity(...))");
  }

  @Test
  void credentialsAreOnlyForMeshTargets() {
    assertThatThrownBy(() -> MeshGrpc.channelCredentials(mesh, "dns:///reviews"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("target: \"dns:///reviews\" (expected mesh:///<service>[.<namespace>])");
  }
}
