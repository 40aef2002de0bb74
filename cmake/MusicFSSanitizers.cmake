# Applies MUSICFS_SANITIZERS (e.g. "address;undefined") to everything built after this point,
# plugins included, so that a plugin and the daemon are instrumented alike.
if(MUSICFS_SANITIZERS)
  list(JOIN MUSICFS_SANITIZERS "," _musicfs_san)
  add_compile_options(-fsanitize=${_musicfs_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_musicfs_san})
endif()
