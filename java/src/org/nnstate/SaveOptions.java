package org.nnstate;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How a checkpoint is saved: fsync (default on) and user metadata (string pairs). */
public final class SaveOptions {
  private boolean fsync = true;
  private final Map<String, String> metadata = new LinkedHashMap<>();

  public static SaveOptions defaults() {
    return new SaveOptions();
  }

  /** Off: faster, but a power loss right after the save may lose the file. */
  public SaveOptions fsync(boolean on) {
    fsync = on;
    return this;
  }

  /** Adds a metadata pair (keys non-empty and unique: the library checks). */
  public SaveOptions metadata(String key, String value) {
    Buffers.notNull(key, "metadata key");
    Buffers.notNull(value, "metadata value of " + key);
    metadata.put(key, value);
    return this;
  }

  public SaveOptions metadata(Map<String, String> pairs) {
    pairs.forEach(this::metadata);
    return this;
  }

  /** The C struct; the strings it points to are added to `keep`, which must outlive the call. */
  Structs.SaveOptions toStruct(List<Object> keep) {
    Structs.SaveOptions s = new Structs.SaveOptions();
    s.checkInit(NativeApi.LIB.nnstate_save_options_init(s), "save options");
    s.fsync = fsync ? 1 : 0;
    int n = metadata.size();
    if (n > 0) {
      Memory keys = new Memory((long) n * Native.POINTER_SIZE);
      Memory values = new Memory((long) n * Native.POINTER_SIZE);
      int i = 0;
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        Memory k = Buffers.string(e.getKey());
        Memory v = Buffers.string(e.getValue());
        keep.add(k);
        keep.add(v);
        keys.setPointer((long) i * Native.POINTER_SIZE, k);
        values.setPointer((long) i * Native.POINTER_SIZE, v);
        ++i;
      }
      keep.add(keys);
      keep.add(values);
      s.metadata_keys = keys;
      s.metadata_values = values;
      s.metadata_count = n;
    }
    return s;
  }
}
