# Writes a C++ source defining `std::string_view <SYMBOL>()` with the bytes of INPUT and
# `std::string_view <SYMBOL>Etag()` with a quoted hash of them, so the binary serves the file
# without reading it at run time. Run at build time: cmake -DINPUT= -DOUTPUT= -DSYMBOL= -P ...
file(READ "${INPUT}" content HEX)
file(SHA256 "${INPUT}" digest)
string(SUBSTRING "${digest}" 0 16 etag)
string(LENGTH "${content}" hex_length)
math(EXPR size "${hex_length} / 2")
# Byte array initializer: "0x3c,0x21,..." (a string literal would hit compilers' length limits).
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${content}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by cmake/embed_asset.cmake; do not edit.\n"
  "#include <string_view>\n\n"
  "namespace vetrina::status {\n"
  "namespace {\nconstexpr char kBytes[${size} + 1] = {${bytes} 0};\n}  // namespace\n"
  "std::string_view ${SYMBOL}() { return std::string_view(kBytes, ${size}); }\n"
  "std::string_view ${SYMBOL}Etag() { return \"\\\"${etag}\\\"\"; }\n"
  "}  // namespace vetrina::status\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
