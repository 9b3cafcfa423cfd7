# httvps_embed_sql(OUT <file.cpp> MIGRATIONS <files...> QUERIES <files...>)
# Writes a C++ source that holds every migration and query file verbatim as a raw string,
# regenerated whenever one of them changes.
function(httvps_embed_sql)
  cmake_parse_arguments(ARG "" "OUT" "MIGRATIONS;QUERIES" ${ARGN})
  add_custom_command(
    OUTPUT ${ARG_OUT}
    COMMAND ${CMAKE_COMMAND} -DOUT=${ARG_OUT} "-DMIGRATIONS=${ARG_MIGRATIONS}" "-DQUERIES=${ARG_QUERIES}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedSqlScript.cmake
    DEPENDS ${ARG_MIGRATIONS} ${ARG_QUERIES} ${PROJECT_SOURCE_DIR}/cmake/EmbedSqlScript.cmake
    COMMENT "Embedding SQL migrations and queries"
    VERBATIM)
endfunction()
