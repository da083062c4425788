package dev.meshwork.benchmarks;

import dev.meshwork.Backend;
import dev.meshwork.Endpoint;
import dev.meshwork.Mesh;
import dev.meshwork.Route;
import dev.meshwork.ServiceConfig;
import dev.meshwork.ServiceName;
import dev.meshwork.StaticSource;
import dev.meshwork.grpc.MeshGrpc;
import io.grpc.CallOptions;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.inprocess.InProcessSocketAddress;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One unary RPC through raw grpc-java against the same RPC through the mesh ({@code MeshGrpc}
 * installed on the channel), in one run. {@code INPROCESS}: the in-process transport with direct
 * executors on both sides, so the difference is the mesh's own cost — route match on the full
 * method name, a 90/10 split over two backends of three endpoints, P2C peak-EWMA pick per RPC, the
 * picker's endpoint-to-connection map, retry-budget deposit, the stream tracer's classification.
 * {@code NETTY}: the same over a real loopback HTTP/2 connection (one endpoint).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar GrpcOverhead -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 2,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class GrpcOverheadBenchmark {

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static final MethodDescriptor<byte[], byte[]> GET =
      MethodDescriptor.newBuilder(BYTES, BYTES)
          .setFullMethodName("bench.Reviews/Get")
          .setType(MethodDescriptor.MethodType.UNARY)
          .build();

  private static final byte[] REQUEST = new byte[16];
  private static final byte[] RESPONSE = new byte[16];

  /** RAW: grpc-java alone. MESH: through the mesh. */
  @Param({"RAW", "MESH"})
  public String client;

  /** INPROCESS: in-process transport, direct executors. NETTY: loopback HTTP/2. */
  @Param({"INPROCESS", "NETTY"})
  public String transport;

  private Mesh mesh;
  private Server server;
  private ManagedChannel channel;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder("bench.Reviews")
            .addMethod(
                GET,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      response.onNext(RESPONSE);
                      response.onCompleted();
                    }))
            .build();
    boolean inProcess = transport.equals("INPROCESS");
    String name = "bench-" + System.nanoTime();
    if (inProcess) {
      server =
          InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start();
    } else {
      server =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                  InsecureServerCredentials.create())
              .directExecutor()
              .addService(service)
              .build()
              .start();
    }
    int port = inProcess ? 0 : ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    ManagedChannelBuilder<?> builder;
    if (client.equals("RAW")) {
      builder =
          inProcess
              ? InProcessChannelBuilder.forName(name)
              : NettyChannelBuilder.forAddress(
                  new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                  InsecureChannelCredentials.create());
    } else {
      StaticSource.Builder source = StaticSource.builder();
      if (inProcess) {
        // Six endpoints in two backends; all are served by the one in-process server.
        source
            .endpoints(ServiceName.of("reviews-v1"), endpoints(1))
            .endpoints(ServiceName.of("reviews-v2"), endpoints(2))
            .service(
                ServiceConfig.builder("reviews")
                    .route(Route.to(Backend.of("reviews-v1", 90), Backend.of("reviews-v2", 10)))
                    .build());
      } else {
        source.endpoints("reviews", Endpoint.of("127.0.0.1", port));
      }
      mesh = Mesh.builder().source(source.build()).build();
      awaitReady(mesh);
      if (inProcess) {
        InProcessSocketAddress address = new InProcessSocketAddress(name);
        builder =
            MeshGrpc.install(
                InProcessChannelBuilder.forTarget("mesh:///reviews"), mesh, e -> address);
      } else {
        builder =
            MeshGrpc.install(
                NettyChannelBuilder.forTarget(
                    "mesh:///reviews", InsecureChannelCredentials.create()),
                mesh);
      }
    }
    channel = builder.directExecutor().build();
    // Connect every endpoint before measuring.
    for (int i = 0; i < 1_000; i++) {
      call();
    }
  }

  private static void awaitReady(Mesh mesh) {
    try {
      mesh.awaitReady(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static List<Endpoint> endpoints(int subnet) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      list.add(Endpoint.of("10." + subnet + ".0." + i, 8080));
    }
    return list;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    if (mesh != null) {
      mesh.close();
    }
  }

  @Benchmark
  public byte[] call() {
    return ClientCalls.blockingUnaryCall(
        channel, GET, CallOptions.DEFAULT.withWaitForReady(), REQUEST);
  }
}
