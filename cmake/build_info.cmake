# Writes the build-info source (base/build_info.cpp.in) with the current git commit. Runs at every
# build, and configure_file rewrites the output only when it changed, so only a new commit
# recompiles that one file. Outside a git checkout the commit is $VETRINA_COMMIT (docker/Dockerfile
# passes it in), else "unknown".
execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                OUTPUT_VARIABLE VETRINA_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE commit_result ERROR_QUIET)
if(NOT commit_result EQUAL 0 OR VETRINA_COMMIT STREQUAL "")
  if(DEFINED ENV{VETRINA_COMMIT} AND NOT "$ENV{VETRINA_COMMIT}" STREQUAL "")
    set(VETRINA_COMMIT "$ENV{VETRINA_COMMIT}")
  else()
    set(VETRINA_COMMIT "unknown")
  endif()
else()
  execute_process(COMMAND git -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
                  OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT changes STREQUAL "")
    string(APPEND VETRINA_COMMIT "-dirty")
  endif()
endif()
configure_file("${SOURCE_DIR}/base/build_info.cpp.in" "${OUTPUT}" @ONLY)
