# kestrel_set_warnings(target): the one place that sets our warning flags.
function(kestrel_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow)
  if(KESTREL_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
