package dev.meshwork.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.meshwork.Attempt;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.MeshCall;
import dev.meshwork.MeshConfig;
import dev.meshwork.MeshContext;
import dev.meshwork.Propagator;
import dev.meshwork.RetryPolicy;
import dev.meshwork.ServiceConfig;
import dev.meshwork.testing.InMemorySource;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The mesh's propagators write every attempt's metadata and read every inbound call's. */
class PropagationTest {

  private static final Metadata.Key<String> ATTEMPT =
      Metadata.Key.of("x-attempt", Metadata.ASCII_STRING_MARSHALLER);
  private static final MeshContext.Key<String> TENANT = MeshContext.Key.named("tenant");

  /** Writes the attempt number; reads x-tenant into the context. */
  private static final Propagator PROPAGATOR =
      new Propagator() {
        @Override
        public void inject(MeshCall call, Attempt attempt, BiConsumer<String, String> headers) {
          headers.accept("x-attempt", Integer.toString(attempt.number()));
        }

        @Override
        public MeshContext extract(
            MeshContext context, Function<String, @Nullable String> headers) {
          String tenant = headers.apply("x-tenant");
          return tenant == null ? context : context.with(TENANT, tenant);
        }
      };

  private final InMemorySource source = new InMemorySource();
  private final Mesh mesh = Mesh.builder().source(source).propagator(PROPAGATOR).build();
  private final InProcessMesh servers = new InProcessMesh();
  private final Endpoint endpoint = Endpoint.of("10.0.0.1", 80);

  @AfterEach
  void tearDown() throws InterruptedException {
    servers.close();
    mesh.close();
  }

  @Test
  void everyAttemptCarriesItsOwnPropagatedHeaders() {
    source.config(
        MeshConfig.builder()
            .service(
                ServiceConfig.builder("reviews")
                    .retryPolicy(
                        RetryPolicy.builder()
                            .maxAttempts(3)
                            .backoff(Duration.ofMillis(1), Duration.ofMillis(1))
                            .build())
                    .build())
            .build());
    Echo echo = servers.serve(endpoint, "a");
    List<List<String>> seen = new ArrayList<>();
    echo.behaviour =
        (req, h, out) -> {
          List<String> values = new ArrayList<>();
          h.getAll(ATTEMPT).forEach(values::add);
          seen.add(values);
          if (values.contains("1")) {
            out.onError(Status.UNAVAILABLE.asRuntimeException());
          } else {
            Echo.reply(out, String.join(",", values));
          }
        };
    source.endpoints("reviews", endpoint);
    ManagedChannel channel = servers.channel(mesh, "reviews");

    String answer = ClientCalls.blockingUnaryCall(channel, Echo.SAY, CallOptions.DEFAULT, "hi");

    assertThat(answer).isEqualTo("2");
    assertThat(seen).containsExactly(List.of("1"), List.of("2"));
  }

  @Test
  void theServerInterceptorRunsTheHandlerInTheExtractedContext() {
    ConcurrentLinkedQueue<String> tenants = new ConcurrentLinkedQueue<>();
    Echo echo = servers.serve(endpoint, "a", new MeshServerInterceptor(mesh));
    echo.behaviour =
        (req, h, out) -> {
          tenants.add(String.valueOf(MeshContext.current().get(TENANT)));
          Echo.reply(out, "a");
        };
    Metadata tenant = new Metadata();
    tenant.put(Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER), "acme");
    ManagedChannel plain =
        io.grpc.inprocess.InProcessChannelBuilder.forAddress(servers.address(endpoint))
            .directExecutor()
            .build();
    try {
      ClientCalls.blockingUnaryCall(
          ClientInterceptors.intercept(plain, MetadataUtils.newAttachHeadersInterceptor(tenant)),
          Echo.SAY,
          CallOptions.DEFAULT,
          "hi");
    } finally {
      plain.shutdownNow();
    }

    assertThat(tenants).containsExactly("acme");
  }
}
