#include "base/json_writer.h"

#include <catch2/catch.hpp>
#include <string>

namespace vetrina {
namespace {

TEST_CASE("the writer places commas and escapes what JSON requires") {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("s");
  w.String("a\"b\\c\nd\x01");
  w.Key("list");
  w.BeginArray();
  w.Int(-3);
  w.Bool(true);
  w.Price(1'250'000);
  w.EndArray();
  w.Key("empty");
  w.BeginObject();
  w.EndObject();
  w.EndObject();
  CHECK(out == R"({"s":"a\"b\\c\nd\u0001","list":[-3,true,1.25],"empty":{}})");
}

TEST_CASE("decimals of micros have no trailing zeros") {
  auto decimal = [](int64_t micros) {
    std::string out;
    AppendDecimal(micros, &out);
    return out;
  };
  CHECK(decimal(0) == "0");
  CHECK(decimal(1'000'000) == "1");
  CHECK(decimal(10) == "0.00001");
  CHECK(decimal(-2'500'000) == "-2.5");
}

TEST_CASE("non-finite doubles are written as 0, which JSON can carry") {
  std::string out;
  JsonWriter w(&out);
  w.Double(1.0 / 0.0);
  CHECK(out == "0");
}

}  // namespace
}  // namespace vetrina
