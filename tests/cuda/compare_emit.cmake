# `kestrel emit --cuda FILE` must print exactly GOLDEN.
execute_process(COMMAND ${KESTREL} emit --cuda ${FILE} OUTPUT_VARIABLE got RESULT_VARIABLE rc
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kestrel emit --cuda ${FILE} exited ${rc}: ${err}")
endif()
file(READ ${GOLDEN} want)
if(NOT got STREQUAL want)
  file(WRITE ${GOLDEN}.got "${got}")
  message(FATAL_ERROR "emit --cuda ${FILE} differs from ${GOLDEN} (got: ${GOLDEN}.got; "
                      "scripts/update-cuda-goldens.sh rewrites the goldens)")
endif()
