// safetensors reader on malformed files: one test per rejection. Each error must name the
// file and the problem (and the tensor where there is one), and nothing may be read out of
// bounds or allocated beyond the file's size.
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/io/safetensors.h"

namespace he {
namespace {

namespace fs = std::filesystem;

class SafetensorsMalformed : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hashengine_bad_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "bad.safetensors").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes exactly `bytes`.
  void write_raw(const std::string& bytes) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  // Writes a header length (the JSON's size unless given), the JSON, then `buffer` bytes.
  void write(const std::string& json, size_t buffer, uint64_t length = UINT64_MAX) {
    if (length == UINT64_MAX) length = json.size();
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(length >> (8 * i));
    write_raw(bytes + json + std::string(buffer, '\x01'));
  }
  // load_safetensors throws a runtime_error naming the file and containing each of `parts`.
  void expect_rejected(std::initializer_list<const char*> parts) {
    try {
      load_safetensors(path_);
      ADD_FAILURE() << "accepted a malformed file";
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(path_), std::string::npos) << msg;
      for (const char* p : parts) EXPECT_NE(msg.find(p), std::string::npos) << msg;
    }
  }

  fs::path dir_;
  std::string path_;
};

const std::string kGood = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

TEST_F(SafetensorsMalformed, WellFormedControl) {
  write(kGood, 8);
  EXPECT_EQ(load_safetensors(path_).tensors.at("a").numel(), 2);
}

TEST_F(SafetensorsMalformed, MissingFile) { expect_rejected({"cannot open"}); }

TEST_F(SafetensorsMalformed, ShorterThanEightBytes) {
  write_raw("");
  expect_rejected({"0 bytes", "shorter"});
  write_raw("abcde");
  expect_rejected({"5 bytes", "shorter"});
}

TEST_F(SafetensorsMalformed, HeaderLengthPastEndOfFile) {
  write(kGood, 8, 1000);
  expect_rejected({"header length 1000", "past the end"});
}

TEST_F(SafetensorsMalformed, HeaderLengthAbsurd) {
  write(kGood, 8, uint64_t{1} << 62);  // would be an exabyte allocation if trusted
  expect_rejected({"limit"});
  write(kGood, 8, (100u << 20) + 1);
  expect_rejected({"limit"});
}

TEST_F(SafetensorsMalformed, InvalidJson) {
  write(R"({"a":{"dtype":"F32",)", 0);
  expect_rejected({"not valid JSON"});
}

TEST_F(SafetensorsMalformed, HeaderNotAnObject) {
  write("[1,2,3]", 0);
  expect_rejected({"not a JSON object"});
}

TEST_F(SafetensorsMalformed, DuplicateName) {
  write(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
        R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
        8);
  expect_rejected({"'a' appears twice"});
}

TEST_F(SafetensorsMalformed, EntryNotAnObject) {
  write(R"({"a":5})", 0);
  expect_rejected({"'a'", "not a JSON object"});
}

TEST_F(SafetensorsMalformed, MetadataIllTyped) {
  write(R"({"__metadata__":[1]})", 0);
  expect_rejected({"__metadata__", "not a JSON object"});
  write(R"({"__metadata__":{"epoch":3}})", 0);
  expect_rejected({"epoch", "not a string"});
}

TEST_F(SafetensorsMalformed, MissingFields) {
  write(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "missing field 'dtype'"});
  write(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "missing field 'shape'"});
  write(R"({"a":{"dtype":"F32","shape":[2]}})", 8);
  expect_rejected({"'a'", "missing field 'data_offsets'"});
}

TEST_F(SafetensorsMalformed, IllTypedFields) {
  write(R"({"a":{"dtype":32,"shape":[2],"data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "'dtype' is not a string"});
  write(R"({"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "'shape' is not an array"});
  write(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "not an integer"});
  write(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8);
  expect_rejected({"'a'", "data_offsets"});
  write(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":["0",8]}})", 8);
  expect_rejected({"'a'", "data_offsets"});
  write(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", 8);
  expect_rejected({"'a'", "data_offsets"});
}

TEST_F(SafetensorsMalformed, UnknownDtype) {
  write(R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "unknown dtype 'F33'"});
  write(R"({"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "'F16' is not supported"});
}

TEST_F(SafetensorsMalformed, NegativeShape) {
  write(R"({"a":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "negative dimension -1"});
}

TEST_F(SafetensorsMalformed, OverflowingShape) {
  write(R"({"a":{"dtype":"U8","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "overflows"});
  write(R"({"a":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "overflows"});
  // numel fits in 64 bits, numel * 4 bytes does not.
  write(R"({"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "overflows"});
  write(R"({"a":{"dtype":"U8","shape":[1e30],"data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "not an integer"});
}

TEST_F(SafetensorsMalformed, OffsetsOutsideBuffer) {
  // A lying header: a terabyte tensor in an 8-byte buffer is refused before any allocation.
  write(R"({"a":{"dtype":"F32","shape":[274877906944],"data_offsets":[0,1099511627776]}})", 8);
  expect_rejected({"'a'", "outside the 8-byte data buffer"});
  write(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 8);
  expect_rejected({"'a'", "outside"});
}

TEST_F(SafetensorsMalformed, BeginAfterEnd) {
  write(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8);
  expect_rejected({"'a'", "begin > end"});
}

TEST_F(SafetensorsMalformed, ByteCountMismatch) {
  write(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8);
  expect_rejected({"'a'", "hold 8 bytes", "needs 12"});
}

TEST_F(SafetensorsMalformed, OverlappingTensors) {
  write(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
        R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
        12);
  expect_rejected({"'b'", "overlaps", "'a'"});
}

TEST_F(SafetensorsMalformed, GapBetweenTensors) {
  write(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
        12);
  expect_rejected({"gap of 4", "'b'"});
}

TEST_F(SafetensorsMalformed, TrailingBytes) {
  write(kGood, 12);
  expect_rejected({"4 trailing bytes"});
}

}  // namespace
}  // namespace he
