#include "adapters/openrtb/native_parser.h"

#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "../../support/files.h"

namespace vetrina::openrtb {
namespace {

using engine::NativeAssetKind;
using vetrina::testing::Fixture;

engine::NativeRequest MustParse(NativeRequestParser& parser, const std::string& json) {
  engine::NativeRequest native;
  absl::Status status = parser.Parse(json, &native);
  INFO(status.ToString());
  REQUIRE(status.ok());
  return native;
}

engine::NativeRequest MustParse(const std::string& json) {
  NativeRequestParser parser;
  return MustParse(parser, json);
}

// The assets of a Native request as read independently, with the DOM API, from the same JSON.
std::vector<engine::NativeAsset> DomAssets(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::array assets;
  REQUIRE(parser.parse(json)["assets"].get(assets) == simdjson::SUCCESS);
  std::vector<engine::NativeAsset> out;
  for (simdjson::dom::element a : assets) {
    engine::NativeAsset& asset = out.emplace_back();
    REQUIRE(a["id"].get(asset.id) == simdjson::SUCCESS);
    int64_t required = 0;
    if (a["required"].get(required) == simdjson::SUCCESS) asset.required = required != 0;
    simdjson::dom::object kind;
    int found = 0;
    for (auto [name, k] :
         {std::pair{"title", NativeAssetKind::kTitle}, std::pair{"img", NativeAssetKind::kImage},
          std::pair{"video", NativeAssetKind::kVideo}, std::pair{"data", NativeAssetKind::kData}}) {
      if (a[name].get(kind) != simdjson::SUCCESS) continue;
      ++found;
      asset.kind = k;
      int64_t value = 0;
      if (kind["len"].get(value) == simdjson::SUCCESS) asset.max_len = static_cast<int>(value);
      if (kind["type"].get(value) == simdjson::SUCCESS) asset.type = static_cast<int>(value);
    }
    REQUIRE(found == 1);
  }
  return out;
}

void CheckSameAssets(const std::vector<engine::NativeAsset>& got,
                     const std::vector<engine::NativeAsset>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("asset " << i);
    CHECK(got[i].id == want[i].id);
    CHECK(got[i].required == want[i].required);
    CHECK(got[i].kind == want[i].kind);
    CHECK(got[i].type == want[i].type);
    CHECK(got[i].max_len == want[i].max_len);
  }
}

TEST_CASE("every Native 1.2 example request parses with all its assets") {
  const std::vector<std::filesystem::path> files =
      vetrina::testing::JsonFilesUnder(vetrina::testing::FixturesDir() / "native");
  size_t requests = 0;
  for (const std::filesystem::path& path : files) {
    if (path.filename().string().rfind("request-", 0) != 0) continue;
    INFO(path.string());
    ++requests;
    const std::string json = vetrina::testing::ReadFile(path);
    engine::NativeRequest native = MustParse(json);
    CHECK(native.version == "1.2");
    CHECK_FALSE(native.assets.empty());
    CheckSameAssets(native.assets, DomAssets(json));
  }
  CHECK(requests == 3);
}

TEST_CASE("the content-context example: ids, kinds, types and lengths") {
  engine::NativeRequest native = MustParse(Fixture("native/request-content-context.json"));
  REQUIRE(native.assets.size() == 6);
  const engine::NativeAsset& video = native.assets[0];
  CHECK(video.id == 4);
  CHECK(video.kind == NativeAssetKind::kVideo);
  CHECK_FALSE(video.required);
  const engine::NativeAsset& title = native.assets[1];
  CHECK(title.id == 123);
  CHECK(title.kind == NativeAssetKind::kTitle);
  CHECK(title.required);
  CHECK(title.max_len == 140);
  const engine::NativeAsset& main_image = native.assets[2];
  CHECK(main_image.kind == NativeAssetKind::kImage);
  CHECK(main_image.type == engine::kNativeImageMain);
  CHECK(native.assets[3].type == engine::kNativeImageIcon);
  const engine::NativeAsset& sponsored = native.assets[4];
  CHECK(sponsored.kind == NativeAssetKind::kData);
  CHECK(sponsored.type == engine::kNativeDataSponsored);
  CHECK(sponsored.max_len == 25);
}

TEST_CASE("the 1.0/1.1 wrapper is read, keeping the version it states") {
  engine::NativeRequest native = MustParse(
      R"({"native": {"ver": "1.1", "assets": [{"id": 7, "required": 1, "data": {"type": 12}}]}})");
  CHECK(native.version == "1.1");
  REQUIRE(native.assets.size() == 1);
  CHECK(native.assets[0].id == 7);
  CHECK(native.assets[0].required);
  CHECK(native.assets[0].kind == NativeAssetKind::kData);
  CHECK(native.assets[0].type == engine::kNativeDataCtaText);
}

TEST_CASE("defaults: version 1.2, optional asset, no type, no length") {
  engine::NativeRequest native = MustParse(R"({"assets": [{"id": 1, "img": {}}]})");
  CHECK(native.version == "1.2");
  REQUIRE(native.assets.size() == 1);
  CHECK_FALSE(native.assets[0].required);
  CHECK(native.assets[0].kind == NativeAssetKind::kImage);
  CHECK(native.assets[0].type == 0);
  CHECK(native.assets[0].max_len == 0);
  CHECK(MustParse("{}").assets.empty());
  CHECK(MustParse(R"({"assets": []})").assets.empty());
}

TEST_CASE("flags may be booleans and integers may be written as floats") {
  engine::NativeRequest native = MustParse(
      R"({"assets": [{"id": 2.0, "required": true, "title": {"len": 90.0}},
                     {"id": 3, "required": false, "data": {"type": 2}},
                     {"id": 4, "required": 0, "video": {}}]})");
  REQUIRE(native.assets.size() == 3);
  CHECK(native.assets[0].id == 2);
  CHECK(native.assets[0].required);
  CHECK(native.assets[0].max_len == 90);
  CHECK_FALSE(native.assets[1].required);
  CHECK_FALSE(native.assets[2].required);
}

TEST_CASE("unknown fields are skipped at any level") {
  engine::NativeRequest native = MustParse(R"({
    "context": 1, "ext": {"deep": [{"a": [1, {"b": null}]}]}, "eventtrackers": [],
    "assets": [{"id": 1, "ext": {"x": 1}, "img": {"wmin": 836, "hmin": 627, "mimes": ["image/png"],
                "type": 3, "ext": {}}}],
    "privacy": 1})");
  REQUIRE(native.assets.size() == 1);
  CHECK(native.assets[0].type == 3);
}

TEST_CASE("a reused parser keeps nothing of the previous request") {
  NativeRequestParser parser;
  engine::NativeRequest first = MustParse(parser, Fixture("native/request-third-party.json"));
  CHECK(first.assets.size() == 5);
  engine::NativeRequest native = MustParse(parser, R"({"assets": [{"id": 9, "title": {}}]})");
  REQUIRE(native.assets.size() == 1);
  CHECK(native.assets[0].id == 9);
  // Parsing into the same request replaces its assets rather than adding to them.
  REQUIRE(parser.Parse(R"({"ver": "1.1", "assets": [{"id": 1, "data": {}}]})", &native).ok());
  CHECK(native.version == "1.1");
  REQUIRE(native.assets.size() == 1);
  CHECK(native.assets[0].id == 1);
  REQUIRE(parser.Parse("{}", &native).ok());
  CHECK(native.version == "1.2");
  CHECK(native.assets.empty());
}

TEST_CASE("image sizes and the privacy flag are read (Native 1.2 §4.1, §4.4)") {
  engine::NativeRequest native = MustParse(R"({"ver": "1.2", "privacy": 1, "assets": [
      {"id": 1, "required": 1, "img": {"type": 3, "wmin": 2000, "hmin": 1500}},
      {"id": 2, "img": {"type": 1, "w": 80, "h": 60}},
      {"id": 3, "title": {"len": 25, "w": 9}}]})");
  CHECK(native.privacy);
  REQUIRE(native.assets.size() == 3);
  CHECK(native.assets[0].wmin == 2000);
  CHECK(native.assets[0].hmin == 1500);
  CHECK(native.assets[0].w == 0);
  CHECK(native.assets[1].w == 80);
  CHECK(native.assets[1].h == 60);
  CHECK(native.assets[1].wmin == 0);
  CHECK(native.assets[2].w == 0);  // only images have sizes
  CHECK_FALSE(MustParse(R"({"assets": [{"id": 1, "title": {}}]})").privacy);
  CHECK_FALSE(MustParse(R"({"privacy": 0, "assets": [{"id": 1, "title": {}}]})").privacy);
  // The 1.0/1.1 wrapper carries it too.
  CHECK(MustParse(R"({"native": {"ver": "1.1", "privacy": 1, "assets": []}})").privacy);
}

}  // namespace
}  // namespace vetrina::openrtb
