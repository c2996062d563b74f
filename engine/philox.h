#pragma once
// The Philox generator lives below the engine, with the kernels that draw from it.
#include "kernels/philox.h"
