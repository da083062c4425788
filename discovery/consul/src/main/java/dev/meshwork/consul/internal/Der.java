package dev.meshwork.consul.internal;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/** Just enough DER to rewrap private keys: read tag-length-value items, write a few types. */
final class Der {

  private Der() {}

  record Tlv(int tag, byte[] content) {}

  static byte[] integerZero() {
    return new byte[] {0x02, 0x01, 0x00};
  }

  static byte[] octetString(byte[] content) {
    return tlv(0x04, content);
  }

  static byte[] sequence(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return tlv(0x30, out.toByteArray());
  }

  static byte[] tlv(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int n = content.length;
    if (n < 0x80) {
      out.write(n);
    } else {
      int bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out.write(n >>> (8 * i));
      }
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  /** Reads consecutive items from a byte range. */
  static final class Reader {
    private final byte[] data;
    private int pos;
    private final int end;

    Reader(byte[] data) {
      this(data, 0, data.length);
    }

    private Reader(byte[] data, int start, int end) {
      this.data = data;
      this.pos = start;
      this.end = end;
    }

    boolean hasMore() {
      return pos < end;
    }

    Tlv nextAny() throws GeneralSecurityException {
      if (pos + 2 > end) {
        throw new GeneralSecurityException("truncated DER");
      }
      int tag = data[pos++] & 0xff;
      int len = data[pos++] & 0xff;
      if (len >= 0x80) {
        int bytes = len & 0x7f;
        if (bytes < 1 || bytes > 4 || pos + bytes > end) {
          throw new GeneralSecurityException("bad DER length");
        }
        len = 0;
        for (int i = 0; i < bytes; i++) {
          len = (len << 8) | (data[pos++] & 0xff);
        }
      }
      if (len < 0 || pos + len > end) {
        throw new GeneralSecurityException("truncated DER");
      }
      Tlv t = new Tlv(tag, Arrays.copyOfRange(data, pos, pos + len));
      pos += len;
      return t;
    }

    Tlv next(int tag) throws GeneralSecurityException {
      Tlv t = nextAny();
      if (t.tag() != tag) {
        throw new GeneralSecurityException("DER tag " + t.tag() + " (expected " + tag + ")");
      }
      return t;
    }

    /** A reader over the content of the next item, which must have {@code tag}. */
    Reader enter(int tag) throws GeneralSecurityException {
      byte[] content = next(tag).content();
      return new Reader(content);
    }
  }
}
