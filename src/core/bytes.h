// A little-endian binary encoding for trained models that may be cached on disk: a writer that
// appends fixed-width integers, floats and length-prefixed strings, and a reader that checks every
// read against the bytes left, so truncated or garbage input gives an error instead of a crash.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace parley {

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void f32(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    u32(bits);
  }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    u64(bits);
  }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }
  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what a ByteWriter wrote. A failed read returns false and leaves the reader failed; callers
// check ok() (or each read) and report corruption.
class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool u8(uint8_t& v) {
    if (!need(1)) return false;
    v = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool u32(uint32_t& v) {
    if (!need(4)) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
    return true;
  }
  bool u64(uint64_t& v) {
    if (!need(8)) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
    return true;
  }
  bool f32(float& v) {
    uint32_t bits;
    if (!u32(bits)) return false;
    std::memcpy(&v, &bits, sizeof v);
    return true;
  }
  bool f64(double& v) {
    uint64_t bits;
    if (!u64(bits)) return false;
    std::memcpy(&v, &bits, sizeof v);
    return true;
  }
  bool str(std::string& s) {
    uint32_t n;
    if (!u32(n) || !need(n)) return false;
    s.assign(in_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  // True when `count` items of `width` bytes each can still be read: check before allocating
  // for a count read from the input.
  bool can_read(uint64_t count, uint64_t width) const {
    return ok_ && width > 0 && count <= (in_.size() - pos_) / width;
  }
  // A count of items that each take at least `min_bytes`; fails when the input cannot hold them,
  // so that garbage never makes the caller allocate gigabytes.
  bool count(uint32_t& n, size_t min_bytes) {
    if (!u32(n)) return false;
    if (static_cast<uint64_t>(n) * min_bytes > in_.size() - pos_) ok_ = false;
    return ok_;
  }
  size_t remaining() const { return in_.size() - pos_; }
  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && pos_ == in_.size(); }

 private:
  bool need(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace parley
