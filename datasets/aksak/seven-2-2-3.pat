# Twelve bars in 7/8 grouped 2+2+3 (quick, quick, slow), written for loam.
title:   Seven, quick-quick-slow
author:  loam contributors
licence: CC0-1.0
source:  written for loam as an example dataset
consent: written to be trained on; no one else's recordings or patterns were used

metre 2+2+3/8

pattern limp-1
kick  x . | . . | x . .
snare . . | X . | . . .
hat   x x | x x | x x x

pattern limp-2
kick  x . | . . | x . x
snare . . | X . | . . .
hat   x x | x x | x x x

pattern limp-3
kick  X . | . x | x . .
snare . . | X . | . . o
hat   x o | x o | x o o

pattern limp-4
kick  x . | . . | x . .
snare . o | X . | . o .
hat   xx xx | xx xx | xx xx xx

pattern limp-5
kick  x . | x . | x . .
snare . . | . . | X . .
rim   . x | . x | . . x
hat   x x | x x | x x x

pattern limp-6
kick  x . | . . | x . .
clap  . . | X . | . . .
hat   x x | x x | x x x
openhat . . | . . | . . x

pattern limp-7
kick  x . | . . | x x .
snare . . | X . | . . .
hat   x x | x x | x x x
shaker xx xx | xx xx | xx xx xx

pattern limp-8
kick  X. .. | .. .x | x. .. ..
snare .. .. | X. .o | .. .o ..
hat   xo xo | xo xo | xo x. xx

pattern limp-9
kick  x . | . . | x . .
snare . . | X . | . . .
hat   xxx xxx | x x | x x x

pattern limp-10
kick  x . | . . | . . x
snare . . | X . | . . .
cowbell X . | x . | x . x
hat   x x | x x | x x x

pattern limp-11
kick  x . | . x | . . x
snare . . | X . | X . .
hat   x . | x . | x . x

pattern limp-12
kick   x . | . . | x . .
snare  . . | X . | . . .
lowtom . . | . . | . x .
tom    . . | . . | . . x
hat    x x | x x | x . .
