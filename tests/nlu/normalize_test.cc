// normalize(): the text the classifier and the exact-example table see.
#include <gtest/gtest.h>

#include "nlu/nlu.h"
#include "nlu/tokens.h"

namespace parley::nlu {
namespace {

TEST(NluNormalize, LowerCasesAscii) { EXPECT_EQ(normalize("Hello THERE"), "hello there"); }

TEST(NluNormalize, PunctuationBecomesSpace) {
  EXPECT_EQ(normalize("hello there!"), "hello there");
  EXPECT_EQ(normalize("bye-bye!"), "bye bye");
  EXPECT_EQ(normalize("are you a bot?"), "are you a bot");
  EXPECT_EQ(normalize("a,b.c;d:e(f)g\"h"), "a b c d e f g h");
  EXPECT_EQ(normalize("snake_case"), "snake case");
}

TEST(NluNormalize, KeepsApostrophesInsideWords) {
  EXPECT_EQ(normalize("I don't think so"), "i don't think so");
  EXPECT_EQ(normalize("rock'n'roll"), "rock'n'roll");
  EXPECT_EQ(normalize("'quoted'"), "quoted");
  EXPECT_EQ(normalize("dogs' toys"), "dogs toys");
}

TEST(NluNormalize, CollapsesAndTrimsWhitespace) {
  EXPECT_EQ(normalize("  good \t\n  morning  "), "good morning");
  EXPECT_EQ(normalize(""), "");
  EXPECT_EQ(normalize(" ?! "), "");
}

TEST(NluNormalize, LeavesUtf8BytesIntact) {
  EXPECT_EQ(normalize("Ça VA? Grüße"), "Ça va grüße");
  EXPECT_EQ(normalize("東京へ行く"), "東京へ行く");
}

TEST(NluNormalize, IsIdempotent) {
  for (const char* s : {"Hello, World!", "I'm   so SAD...", "x--y", "1,000.5 apples"})
    EXPECT_EQ(normalize(normalize(s)), normalize(s)) << s;
}

TEST(NluTokenize, GivesByteOffsetsOfWords) {
  auto tokens = tokenize("Hi, New-York's fine");
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens[0].lower, "hi");
  EXPECT_EQ(tokens[0].start, 0u);
  EXPECT_EQ(tokens[0].end, 2u);
  EXPECT_EQ(tokens[1].lower, "new");
  EXPECT_EQ(tokens[2].lower, "york's");
  EXPECT_EQ(tokens[2].start, 8u);
  EXPECT_EQ(tokens[2].end, 14u);
  EXPECT_EQ(tokens[3].lower, "fine");
}

}  // namespace
}  // namespace parley::nlu
