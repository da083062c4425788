package dev.meshwork.tls.internal;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The little DER that reading private keys needs: split a SEQUENCE into its elements, and write a
 * tag-length-value. Not a general ASN.1 library; every malformed input is an {@link
 * IllegalArgumentException}. Stateless.
 */
final class Der {

  static final int INTEGER = 0x02;
  static final int OCTET_STRING = 0x04;
  static final int NULL = 0x05;
  static final int OID = 0x06;
  static final int SEQUENCE = 0x30;

  /** One element: its tag and its whole encoding (tag, length and content). */
  record Element(int tag, byte[] encoded, int contentOffset) {
    byte[] content() {
      return Arrays.copyOfRange(encoded, contentOffset, encoded.length);
    }
  }

  private Der() {}

  /** The elements of the SEQUENCE that {@code der} holds. */
  static List<Element> sequence(byte[] der) {
    Element outer = read(der, 0);
    if (outer.tag() != SEQUENCE || outer.encoded().length != der.length) {
      throw new IllegalArgumentException("not a DER SEQUENCE");
    }
    List<Element> out = new ArrayList<>();
    byte[] body = outer.content();
    int at = 0;
    while (at < body.length) {
      Element e = read(body, at);
      out.add(e);
      at += e.encoded().length;
    }
    return out;
  }

  private static Element read(byte[] in, int start) {
    if (start + 2 > in.length) {
      throw new IllegalArgumentException("truncated DER");
    }
    int tag = in[start] & 0xff;
    int length = in[start + 1] & 0xff;
    int header = 2;
    if (length >= 0x80) {
      int bytes = length & 0x7f;
      if (bytes == 0 || bytes > 3 || start + 2 + bytes > in.length) {
        throw new IllegalArgumentException("unsupported DER length");
      }
      length = 0;
      for (int i = 0; i < bytes; i++) {
        length = (length << 8) | (in[start + 2 + i] & 0xff);
      }
      header += bytes;
    }
    int end = start + header + length;
    if (end > in.length) {
      throw new IllegalArgumentException("truncated DER");
    }
    return new Element(tag, Arrays.copyOfRange(in, start, end), header);
  }

  /** {@code tag}, the DER length of {@code content}, then {@code content}. */
  static byte[] tlv(int tag, byte[]... content) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] c : content) {
      body.writeBytes(c);
    }
    int length = body.size();
    ByteArrayOutputStream out = new ByteArrayOutputStream(length + 6);
    out.write(tag);
    if (length < 0x80) {
      out.write(length);
    } else if (length < 0x100) {
      out.write(0x81);
      out.write(length);
    } else if (length < 0x10000) {
      out.write(0x82);
      out.write(length >> 8);
      out.write(length);
    } else {
      out.write(0x83);
      out.write(length >> 16);
      out.write(length >> 8);
      out.write(length);
    }
    out.writeBytes(body.toByteArray());
    return out.toByteArray();
  }
}
