package dev.meshwork.consul.internal;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * A response body as read from Consul, or the size it exceeded the cap by: bodies over the cap are
 * not read, so that a runaway answer cannot exhaust memory, and the parser reports them as invalid
 * configuration.
 */
public final class RawBody {

  private final byte[] bytes;
  private final long oversizeBytes;

  private RawBody(byte[] bytes, long oversizeBytes) {
    this.bytes = bytes;
    this.oversizeBytes = oversizeBytes;
  }

  public static RawBody of(byte[] bytes) {
    return new RawBody(bytes, -1);
  }

  /** A body of at least {@code bytes} bytes that was not read. */
  public static RawBody oversize(long bytes) {
    return new RawBody(new byte[0], bytes);
  }

  public boolean isOversize() {
    return oversizeBytes >= 0;
  }

  /** How many bytes were seen before reading stopped; -1 when the body was read. */
  public long oversizeBytes() {
    return oversizeBytes;
  }

  public byte[] bytes() {
    return bytes;
  }

  public String text() {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** The start of the body, for error messages. */
  public String excerpt() {
    return excerpt(text());
  }

  static String excerpt(@Nullable String s) {
    if (s == null) {
      return "";
    }
    String t = s.strip().replace('\n', ' ');
    return t.length() <= 200 ? t : t.substring(0, 200) + "…";
  }
}
