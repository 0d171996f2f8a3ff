# kestrel_set_warnings(target): the one place that sets our warning flags.
function(kestrel_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports `"'" + std::string` as an overlapping memcpy at -O3 (GCC bug 105651).
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(KESTREL_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # Sanitizer instrumentation makes GCC's -Wmaybe-uninitialized misfire inside libstdc++
    # (std::regex's std::function members); the release build keeps the warning.
    # At -O1 GCC 12 also pairs the delete in llvm::GlobalVariable's constructor's unwinding path
    # with the wrong operator new (LLVM's User::operator new is a placement form), so every
    # `new llvm::GlobalVariable(...)` is reported as -Wmismatched-new-delete; the release build
    # keeps the warning.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized -Wno-mismatched-new-delete)
    # Under ThreadSanitizer GCC 12 also reports the destructor of a std::vector of
    # (std::string, i64) pairs in runtime/array_fns.cpp's sort as deleting a pointer at a nonzero
    # offset (-Wfree-nonheap-object) along an inlined path that cannot run; the release and ASan
    # builds keep the warning.
    if(KESTREL_SANITIZE STREQUAL "thread")
      target_compile_options(${target} PRIVATE -Wno-free-nonheap-object)
    endif()
  endif()
  if(KESTREL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
