// Fuzzes the NLU annotation parser (project/loader.h parse_annotated_text): any line as an example.
// Accepted annotations must point inside the plain text and quote it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "project/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  std::string text, error;
  std::vector<parley::project::EntityAnnotation> entities;
  if (parley::project::parse_annotated_text(line, text, entities, error)) {
    FUZZ_CHECK(text.size() <= line.size());
    for (const auto& e : entities) {
      FUZZ_CHECK(!e.entity.empty());
      FUZZ_CHECK(e.start <= e.end && e.end <= text.size());
      FUZZ_CHECK(text.compare(e.start, e.end - e.start, e.text) == 0);
    }
  } else {
    FUZZ_CHECK(!error.empty());
  }
  return 0;
}
