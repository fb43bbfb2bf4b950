//! Models: TorchScript files made for nn~ (loaded), and small models loam
//! trains itself on a performer's own patterns in seconds (rhythm VAE,
//! variable-order Markov model, GRU).

pub mod markov;
pub mod rhythm_vae;
pub mod rnn;
pub mod torchscript;
pub mod trained;
