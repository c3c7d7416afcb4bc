#include "checkpoint/container.h"

#include <cstring>

#include "checkpoint/crc32c.h"
#include "util/error.h"

namespace nnstate::checkpoint {
namespace {

// PNG-style: a high byte catches 7-bit transfers, CR LF and ^Z catch text-mode conversions.
constexpr unsigned char kMagic[8] = {0x89, 'N', 'N', 'S', 'T', '\r', '\n', 0x1a};
constexpr size_t kCrcOffset = 60;

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the format is little-endian; a big-endian port must byte-swap tensors");

void put32(unsigned char *p, uint32_t v) {
  std::memcpy(p, &v, 4);
}
void put64(unsigned char *p, uint64_t v) {
  std::memcpy(p, &v, 8);
}
uint32_t get32(const unsigned char *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t get64(const unsigned char *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

[[noreturn]] void corrupt(const std::string &file, const std::string &what) {
  fail(NNSTATE_ERR_CORRUPT, describe_file(file) + ": " + what);
}

}  // namespace

std::string describe_file(const std::string &path) {
  return "checkpoint \"" + path + "\"";
}

void encode_header(const Header &h, unsigned char out[kHeaderSize]) {
  std::memset(out, 0, kHeaderSize);
  std::memcpy(out, kMagic, sizeof kMagic);
  put32(out + 8, h.major);
  put32(out + 12, h.minor);
  put64(out + 16, h.manifest_offset);
  put64(out + 24, h.manifest_length);
  put64(out + 32, h.data_offset);
  put64(out + 40, h.data_length);
  put32(out + 48, h.manifest_crc32c);
  put32(out + kCrcOffset, crc32c(0, out, kCrcOffset));
}

bool has_checkpoint_magic(const unsigned char bytes[8]) {
  return std::memcmp(bytes, kMagic, sizeof kMagic) == 0;
}

Header decode_header(const unsigned char *bytes, uint64_t file_size, const std::string &file) {
  if (file_size < kHeaderSize) {
    corrupt(file, "file is " + std::to_string(file_size) + " bytes, shorter than the " +
                      std::to_string(kHeaderSize) + "-byte header");
  }
  if (std::memcmp(bytes, kMagic, sizeof kMagic) != 0) {
    corrupt(file, "header: bad magic (not a libnnstate checkpoint)");
  }
  Header h;
  h.major = get32(bytes + 8);
  h.minor = get32(bytes + 12);
  const uint32_t stored_crc = get32(bytes + kCrcOffset);
  const uint32_t actual_crc = crc32c(0, bytes, kCrcOffset);
  // A newer major may lay its header out differently, so its version wins over our CRC.
  if (h.major > kFormatMajor) {
    fail(NNSTATE_ERR_VERSION,
         describe_file(file) + ": format version " + std::to_string(h.major) + "." +
             std::to_string(h.minor) + " is newer than this library reads (up to " +
             std::to_string(kFormatMajor) + ".x, library writes " + std::to_string(kFormatMajor) +
             "." + std::to_string(kFormatMinor) + ")" +
             (stored_crc == actual_crc ? "" : "; or the header is corrupt"));
  }
  if (stored_crc != actual_crc) {
    corrupt(file, "header: CRC32C mismatch (stored " + crc_text(stored_crc) + ", computed " +
                      crc_text(actual_crc) + ")");
  }
  if (h.major == 0) corrupt(file, "header: format major version 0 does not exist");
  h.manifest_offset = get64(bytes + 16);
  h.manifest_length = get64(bytes + 24);
  h.data_offset = get64(bytes + 32);
  h.data_length = get64(bytes + 40);
  h.manifest_crc32c = get32(bytes + 48);
  if (get32(bytes + 52) != 0 || get32(bytes + 56) != 0) {
    corrupt(file, "header: reserved bytes 52..59 are not zero");
  }
  // Format 1 has exactly one layout, so every byte of the file belongs to a checked part.
  if (h.data_offset != kHeaderSize) {
    corrupt(file, "header: data_offset is " + std::to_string(h.data_offset) + ", expected " +
                      std::to_string(kHeaderSize));
  }
  if (h.data_length % kAlignment != 0 || h.data_length > file_size - kHeaderSize) {
    corrupt(file, "header: data_length " + std::to_string(h.data_length) +
                      " is not a multiple of 64 or exceeds the file size " +
                      std::to_string(file_size));
  }
  if (h.manifest_offset != h.data_offset + h.data_length) {
    corrupt(file, "header: manifest_offset " + std::to_string(h.manifest_offset) +
                      " does not follow the data section (expected " +
                      std::to_string(h.data_offset + h.data_length) + ")");
  }
  if (h.manifest_length != file_size - h.manifest_offset) {
    corrupt(file, "header: manifest_length " + std::to_string(h.manifest_length) +
                      " does not reach the end of the file (file size " +
                      std::to_string(file_size) + ", manifest_offset " +
                      std::to_string(h.manifest_offset) + ")");
  }
  if (h.manifest_length < 8 || h.manifest_length > kMaxManifestSize) {
    corrupt(file, "header: manifest_length " + std::to_string(h.manifest_length) +
                      " is outside [8, 2^31 - 2]");
  }
  return h;
}

}  // namespace nnstate::checkpoint
