#pragma once
// Every layer of the engine.
#include "layers/attention.h"
#include "layers/basic.h"
#include "layers/global_pool.h"
#include "layers/hash_layers.h"
#include "layers/latent.h"
#include "layers/linear_conv.h"
#include "layers/module.h"
#include "layers/norm.h"
#include "layers/recurrent.h"
#include "layers/transformer.h"
