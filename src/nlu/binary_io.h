// Little-endian binary encoding for trained NLU models (to_bytes / from_bytes): a writer that
// appends to a string and a reader that never reads past its input (it fails instead).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace parley::nlu {

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) { fixed(v, 4); }
  void u64(uint64_t v) { fixed(v, 8); }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    u64(bits);
  }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  std::string take() { return std::move(out_); }

 private:
  void fixed(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

// Each read returns false (and leaves the reader failed) when the input is too short.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  bool u8(uint8_t& v) {
    uint64_t x;
    if (!fixed(x, 1)) return false;
    v = static_cast<uint8_t>(x);
    return true;
  }
  bool u32(uint32_t& v) {
    uint64_t x;
    if (!fixed(x, 4)) return false;
    v = static_cast<uint32_t>(x);
    return true;
  }
  bool u64(uint64_t& v) { return fixed(v, 8); }
  bool f64(double& v) {
    uint64_t bits;
    if (!u64(bits)) return false;
    std::memcpy(&v, &bits, sizeof v);
    return true;
  }
  bool str(std::string& s) {
    uint32_t n;
    if (!u32(n) || n > in_.size() - pos_) return fail();
    s.assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  // A count of items that each take at least `min_bytes`; fails when the input cannot hold them,
  // so that garbage never makes the caller allocate gigabytes.
  bool count(uint32_t& n, size_t min_bytes) {
    if (!u32(n)) return false;
    if (static_cast<uint64_t>(n) * min_bytes > in_.size() - pos_) return fail();
    return true;
  }
  size_t remaining() const { return in_.size() - pos_; }
  bool at_end() const { return ok_ && pos_ == in_.size(); }
  bool ok() const { return ok_; }

 private:
  bool fail() {
    ok_ = false;
    return false;
  }
  bool fixed(uint64_t& v, int bytes) {
    if (!ok_ || in_.size() - pos_ < static_cast<size_t>(bytes)) return fail();
    v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    pos_ += bytes;
    return true;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace parley::nlu
