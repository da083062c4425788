package dev.meshwork.okhttp;

import dev.meshwork.MeshRequest;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.jspecify.annotations.Nullable;

/** An OkHttp {@link Request} as the mesh sees it; reads through, copies nothing. */
final class OkHttpRequestView implements MeshRequest {

  final Request request;

  OkHttpRequestView(Request request) {
    this.request = request;
  }

  @Override
  public String method() {
    return request.method();
  }

  @Override
  public String path() {
    return request.url().encodedPath();
  }

  @Override
  public @Nullable String header(String lowerCaseName) {
    return request.header(lowerCaseName);
  }

  @Override
  public @Nullable String queryParameter(String name) {
    return request.url().queryParameter(name);
  }

  /** A one-shot or duplex body can be written only once. */
  @Override
  public boolean replayable() {
    RequestBody body = request.body();
    return body == null || !(body.isOneShot() || body.isDuplex());
  }

  @Override
  public String toString() {
    return request.method() + " " + request.url();
  }
}
