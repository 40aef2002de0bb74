#include "app/commands.hpp"

int main(int argc, char** argv) { return musicfs::app::run(argc, argv); }
