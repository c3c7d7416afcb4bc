package org.nnstate;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;

/** Conversions between Java data and the C API's pointers. */
final class Buffers {
  private Buffers() {}

  /**
   * The address of a direct FloatBuffer's remaining floats, without a copy. Refused: heap
   * buffers (their array may move: pass the float[] instead), buffers in a byte order other
   * than the platform's (C would read other numbers), read-only buffers written to.
   */
  static Pointer address(FloatBuffer buffer, String what, boolean written) {
    if (buffer == null) {
      throw Status.invalid(what + " is null");
    }
    if (!buffer.isDirect()) {
      throw Status.invalid(what + " is not a direct buffer: pass a float[] or a FloatBuffer of "
          + "ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder()).asFloatBuffer()");
    }
    if (buffer.order() != ByteOrder.nativeOrder()) {
      throw Status.invalid(what + " is " + buffer.order() + ", the platform is "
          + ByteOrder.nativeOrder() + ": use .order(ByteOrder.nativeOrder()) on its ByteBuffer");
    }
    if (written && buffer.isReadOnly()) {
      throw Status.invalid(what + " is read-only");
    }
    return Native.getDirectBufferPointer(buffer).share(4L * buffer.position());
  }

  static void notNull(Object value, String what) {
    if (value == null) {
      throw Status.invalid(what + " is null");
    }
  }

  /** A NUL-terminated UTF-8 copy in native memory (for const char * fields of structs). */
  static Memory string(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    Memory memory = new Memory(bytes.length + 1L);
    memory.write(0, bytes, 0, bytes.length);
    memory.setByte(bytes.length, (byte) 0);
    return memory;
  }

  /** A library-owned C string (NULL as null). */
  static String text(Pointer p) {
    return p == null ? null : p.getString(0, "UTF-8");
  }

  static long product(long[] dims, int rank) {
    long n = 1;
    for (int i = 0; i < rank; ++i) {
      n = Math.multiplyExact(n, dims[i]);
    }
    return n;
  }
}
