// Reading test inputs: repo files by path from the source dir, shared fixtures by path.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace vetrina::testing {

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::filesystem::path FixturesDir() { return VETRINA_FIXTURES_DIR; }
inline std::filesystem::path SourceDir() { return VETRINA_SOURCE_DIR; }

inline std::string Fixture(const std::string& relative) {
  return ReadFile(FixturesDir() / relative);
}

// Every *.json file under `dir`, recursively, sorted.
inline std::vector<std::filesystem::path> JsonFilesUnder(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace vetrina::testing
