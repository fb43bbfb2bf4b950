# Compound time: 6/8 and 12/8, plus one 5/8. Written for loam.
title:   Dotted beats
author:  loam contributors
licence: CC0-1.0
source:  written for loam as an example dataset
consent: written to be trained on; no one else's recordings or patterns were used

metre 6/8

pattern swing-six-1
kick  X . . | x . .
snare . . . | X . .
hat   x x x | x x x

pattern swing-six-2
kick  X . x | . . .
snare . . . | X . o
hat   x o x | x o x
openhat . . . | . . x

metre 12/8

pattern shuffle-twelve-1
kick  X . . | . . x | x . . | . . .
snare . . . | X . . | . . . | X . .
hat   x . x | x . x | x . x | x . x

pattern shuffle-twelve-2
kick  X . . | . . . | x . x | . . .
snare . . . | X . . | . . . | X . o
cowbell X . x | . x . | x . x | . x .
hat   x x x | x x x | x x x | x x x

metre 2+3/8

pattern five-1
kick  X . | x . .
snare . . | . X .
hat   x x | x x x
