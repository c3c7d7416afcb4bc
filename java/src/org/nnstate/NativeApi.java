package org.nnstate;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.util.Map;

/**
 * The C API of include/nnstate/nnstate.h, declared for JNA's interface mapping (no compiled
 * glue). Types: int32_t is int, int64_t/uint64_t/size_t are long (LP64 only: checked at load),
 * uint32_t is int, outputs are one-element arrays, strings are UTF-8. Overloads taking a
 * Pointer get a direct FloatBuffer's address (no copy, see Buffers); float[] arguments are
 * copied by JNA around the call (the garbage collector may move a Java array).
 * Package-private: the public classes are the API.
 */
interface NativeApi extends Library {
  /**
   * The library: -Dnnstate.library=PATH (a file, e.g. build/libnnstate.so.1) when set, else
   * libnnstate.so through -Djna.library.path=DIR, LD_LIBRARY_PATH or the system loader.
   */
  NativeApi LIB = Loader.load();

  final class Loader {
    private Loader() {}

    static NativeApi load() {
      if (Native.SIZE_T_SIZE != 8 || Native.LONG_SIZE != 8) {
        throw new UnsatisfiedLinkError(
            "org.nnstate maps size_t to a Java long and needs a 64-bit platform (size_t is "
                + Native.SIZE_T_SIZE + " bytes here)");
      }
      String name = System.getProperty("nnstate.library", "nnstate");
      if (name.contains("/")) {
        name = new java.io.File(name).getAbsolutePath(); // JNA takes only absolute paths as files
      }
      return Native.load(name, NativeApi.class, Map.of(Library.OPTION_STRING_ENCODING, "UTF-8"));
    }
  }

  interface EpochCallback extends Callback {
    int invoke(Pointer info, Pointer userData);
  }

  interface BatchCallback extends Callback {
    int invoke(Pointer info, Pointer userData);
  }

  // ---- Versions and errors
  String nnstate_version_string();

  int nnstate_abi_version();

  String nnstate_status_string(int status);

  String nnstate_last_error();

  int nnstate_format_version(int[] major, int[] minor);

  // ---- Networks
  int nnstate_network_create(PointerByReference out, long seed);

  void nnstate_network_free(Pointer network);

  int nnstate_network_add_linear(Pointer network, long in, long out, int bias);

  int nnstate_network_add_activation(Pointer network, int layerKind);

  int nnstate_network_add_leaky_relu(Pointer network, float negativeSlope);

  int nnstate_network_add_gelu(Pointer network, int tanhApproximation);

  int nnstate_network_set_input_shape(Pointer network, long[] dims, int rank);

  int nnstate_conv2d_options_init(Structs.Conv2dOptions options, long in, long out, long kernel);

  int nnstate_network_add_conv2d(Pointer network, Structs.Conv2dOptions options);

  int nnstate_network_add_max_pool2d(
      Pointer network, long kh, long kw, long sh, long sw, long ph, long pw);

  int nnstate_network_add_flatten(Pointer network);

  int nnstate_network_add_batch_norm(
      Pointer network, int dims, long features, double eps, double momentum, int affine,
      int trackRunningStats);

  int nnstate_network_add_dropout(Pointer network, double p);

  int nnstate_network_add_layer_norm(
      Pointer network, long[] shape, int rank, double eps, int elementwiseAffine);

  int nnstate_network_add_node(Pointer network, String json, long[] indexOut);

  int nnstate_network_node_json(
      Pointer network, long index, byte[] buffer, long capacity, long[] sizeOut);

  int nnstate_network_set_training_mode(Pointer network, int training);

  int nnstate_network_get_training_mode(Pointer network, int[] out);

  int nnstate_network_set_deterministic(Pointer network, long chunkSize, int threads);

  int nnstate_network_deterministic(Pointer network, long[] chunkSize, int[] threads);

  int nnstate_network_layer_count(Pointer network, long[] out);

  int nnstate_network_input_size(Pointer network, long[] out);

  int nnstate_network_output_size(Pointer network, long[] out);

  int nnstate_network_parameter_count(Pointer network, long[] out);

  int nnstate_network_set_loss(Pointer network, int lossKind);

  int nnstate_optimizer_options_init(Structs.OptimizerOptions options, int kind);

  int nnstate_network_set_optimizer(Pointer network, Structs.OptimizerOptions options);

  int nnstate_network_get_lr(Pointer network, double[] out);

  int nnstate_network_set_lr(Pointer network, double lr);

  int nnstate_network_train_step(
      Pointer network, float[] inputs, long inputCount, float[] targets, long targetCount,
      long batchSize, float[] lossOut);

  int nnstate_network_train_step(
      Pointer network, Pointer inputs, long inputCount, Pointer targets,
      long targetCount, long batchSize, float[] lossOut);

  int nnstate_network_evaluate(
      Pointer network, float[] inputs, long inputCount, float[] targets, long targetCount,
      long batchSize, float[] lossOut);

  int nnstate_network_evaluate(
      Pointer network, Pointer inputs, long inputCount, Pointer targets,
      long targetCount, long batchSize, float[] lossOut);

  int nnstate_network_predict(
      Pointer network, float[] inputs, long inputCount, long batchSize, float[] outputs,
      long outputCount);

  int nnstate_network_predict(
      Pointer network, Pointer inputs, long inputCount, long batchSize, Pointer outputs,
      long outputCount);

  int nnstate_network_tensor_count(Pointer network, long[] out);

  int nnstate_network_tensor_info(
      Pointer network, long index, PointerByReference name, int[] role, int[] rank, long[] dims);

  int nnstate_network_get_tensor(Pointer network, String name, float[] values, long count);

  int nnstate_network_set_tensor(Pointer network, String name, float[] values, long count);

  // ---- Datasets (the library borrows the memory: native memory only)
  int nnstate_dataset_create(
      PointerByReference out, Pointer inputs, long inputCount, Pointer targets, long targetCount,
      long samples);

  void nnstate_dataset_free(Pointer dataset);

  // ---- Trainers
  int nnstate_trainer_options_init(Structs.TrainerOptions options);

  int nnstate_scheduler_options_init(Structs.SchedulerOptions options, int kind);

  int nnstate_early_stopping_options_init(Structs.EarlyStoppingOptions options);

  int nnstate_trainer_create(
      PointerByReference out, Pointer network, Structs.TrainerOptions options,
      Structs.SchedulerOptions scheduler, Structs.EarlyStoppingOptions earlyStopping);

  void nnstate_trainer_free(Pointer trainer);

  int nnstate_trainer_set_callbacks(
      Pointer trainer, EpochCallback onEpoch, BatchCallback onBatch, Pointer userData);

  int nnstate_trainer_fit(Pointer trainer, Pointer train, Pointer validation, int[] stopReason);

  int nnstate_trainer_request_stop(Pointer trainer);

  int nnstate_trainer_set_epochs(Pointer trainer, long epochs);

  int nnstate_trainer_position(Pointer trainer, long[] epoch, long[] step, long[] batch);

  int nnstate_trainer_history_count(Pointer trainer, long[] out);

  int nnstate_trainer_history_row(Pointer trainer, long index, Structs.EpochInfo row);

  int nnstate_trainer_save(Pointer trainer, String path, Structs.SaveOptions options);

  int nnstate_trainer_resume(Pointer trainer, String path);

  int nnstate_checkpoint_policy_init(Structs.CheckpointPolicy policy);

  int nnstate_trainer_set_checkpointing(Pointer trainer, Structs.CheckpointPolicy policy);

  int nnstate_trainer_resume_latest(Pointer trainer, String directory, int[] found);

  int nnstate_trainer_flush_saves(Pointer trainer);

  String nnstate_trainer_warnings(Pointer trainer);

  // ---- Checkpoints
  int nnstate_save_options_init(Structs.SaveOptions options);

  int nnstate_load_options_init(Structs.LoadOptions options);

  int nnstate_checkpoint_save(Pointer network, String path, Structs.SaveOptions options);

  int nnstate_checkpoint_save_to_buffer(
      Pointer network, byte[] buffer, long capacity, long[] sizeOut, Structs.SaveOptions options);

  int nnstate_checkpoint_load(PointerByReference out, String path, Structs.LoadOptions options);

  int nnstate_checkpoint_load_buffer(
      PointerByReference out, byte[] data, long size, Structs.LoadOptions options);

  int nnstate_checkpoint_load_into(Pointer network, String path, Structs.LoadOptions options);

  int nnstate_checkpoint_load_into_buffer(
      Pointer network, byte[] data, long size, Structs.LoadOptions options);

  int nnstate_checkpoint_verify(String path);

  int nnstate_checkpoint_verify_buffer(byte[] data, long size);

  int nnstate_checkpoint_open(PointerByReference out, String path, Structs.LoadOptions options);

  int nnstate_checkpoint_open_buffer(
      PointerByReference out, byte[] data, long size, Structs.LoadOptions options);

  void nnstate_checkpoint_free(Pointer checkpoint);

  int nnstate_checkpoint_format(Pointer checkpoint, int[] major, int[] minor);

  int nnstate_checkpoint_writer_version(Pointer checkpoint, PointerByReference out);

  int nnstate_checkpoint_created(Pointer checkpoint, long[] unixNs);

  int nnstate_checkpoint_environment(
      Pointer checkpoint, PointerByReference coreType, int[] threads);

  int nnstate_checkpoint_layer_count(Pointer checkpoint, long[] out);

  int nnstate_checkpoint_tensor_count(Pointer checkpoint, long[] out);

  int nnstate_checkpoint_tensor_info(
      Pointer checkpoint, long index, PointerByReference name, int[] role, int[] dtype,
      int[] rank, long[] dims);

  int nnstate_checkpoint_tensor_crc32c(Pointer checkpoint, long index, int[] crc);

  int nnstate_checkpoint_tensor_data(
      Pointer checkpoint, String name, PointerByReference data, long[] count);

  int nnstate_checkpoint_read_tensor(Pointer checkpoint, String name, float[] values, long count);

  int nnstate_checkpoint_optimizer(Pointer checkpoint, int[] kind, long[] step);

  int nnstate_checkpoint_metadata_count(Pointer checkpoint, long[] out);

  int nnstate_checkpoint_metadata_at(
      Pointer checkpoint, long index, PointerByReference key, PointerByReference value);

  int nnstate_checkpoint_metadata_get(Pointer checkpoint, String key, PointerByReference value);

  int nnstate_checkpoint_trainer(
      Pointer checkpoint, int[] present, long[] epoch, long[] step, long[] batch);

  int nnstate_checkpoint_history_count(Pointer checkpoint, long[] out);

  int nnstate_checkpoint_history_row(Pointer checkpoint, long index, Structs.EpochInfo row);

  int nnstate_checkpoint_scheduler(
      Pointer checkpoint, int[] kind, long[] lastEpoch, double[] best, long[] numBadEpochs,
      long[] cooldownCounter);

  int nnstate_checkpoint_early_stopping(
      Pointer checkpoint, int[] present, PointerByReference monitor, double[] best,
      long[] bestEpoch, long[] wait, long[] stoppedEpoch);

  int nnstate_checkpoint_optimizer_options(Pointer checkpoint, Structs.OptimizerOptions options);

  int nnstate_checkpoint_loss(Pointer checkpoint, int[] kind);

  int nnstate_checkpoint_layer_kind(Pointer checkpoint, long index, int[] kind);

  int nnstate_checkpoint_field_count(Pointer checkpoint, long[] out);

  int nnstate_checkpoint_field_at(
      Pointer checkpoint, long index, PointerByReference name, PointerByReference value,
      int[] flags);
}
