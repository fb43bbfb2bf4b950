# 9/8 as 2+2+2+3 (the long last beat) and as 3+3+3, written for loam.
title:   Nine
author:  loam contributors
licence: CC0-1.0
source:  written for loam as an example dataset
consent: written to be trained on; no one else's recordings or patterns were used

metre 2+2+2+3/8

pattern long-last-1
kick  X . | . . | x . | . . .
snare . . | x . | . . | X . .
hat   x x | x x | x x | x x x

pattern long-last-2
kick  X . | x . | . . | x . .
clap  . . | . . | X . | . . x
hat   x x | x x | x x | x . x
shaker xx xx | xx xx | xx xx | xx xx xx

pattern long-last-3
kick  X . | . . | x . | . x .
snare . . | X . | . . | X . .
hat   xxx xxx | x x | x x | x x x

metre 3+3+3/8

pattern three-threes-1
kick  X . . | x . . | x . .
snare . . . | . . . | . X .
hat   x x x | x x x | x x x

pattern three-threes-2
kick  X . . | . . x | x . .
rim   . . x | . x . | . . x
hat   x o o | x o o | x o o
