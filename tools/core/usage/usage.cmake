# Usage accounting (issue 5, docs/usage-accounting.md): the ingestion routes of the httvps
# CGI and aggregate-usage's library part; included from tools/core/CMakeLists.txt.
target_sources(httvps_core PRIVATE
  usage/aggregate.cpp
  usage/batch.cpp
  usage/ingest.cpp)
if(TARGET core_tests)
  target_sources(core_tests PRIVATE usage/batch_test.cpp domain/subscription_test.cpp)
endif()
if(TARGET db_tests)
  target_sources(db_tests PRIVATE usage/ingest_db_test.cpp usage/aggregate_db_test.cpp)
endif()
