#ifndef VIGIL_CLIBYAML_SHIM_H
#define VIGIL_CLIBYAML_SHIM_H
#include <yaml.h>
#endif
