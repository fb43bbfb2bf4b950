# 7/8 grouped 3+2+2 (slow, quick, quick), written for loam.
title:   Seven, slow-quick-quick
author:  loam contributors
licence: CC0-1.0
source:  written for loam as an example dataset
consent: written to be trained on; no one else's recordings or patterns were used

metre 3+2+2/8

pattern turn-1
kick  X . . | x . | . .
snare . . . | . . | X .
hat   x x x | x x | x x

pattern turn-2
kick  X . x | . . | x .
rim   . . . | x . | . x
hat   x o x | x o | x o
