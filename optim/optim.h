#pragma once
// Everything a trainer needs from optim/: optimisers, schedules, clipping.
#include "optim/checkpoint.h"
#include "optim/optimizer.h"
#include "optim/optimizers.h"
#include "optim/schedule.h"
