//! `gateway keys generate`: makes a new API key, prints it once, and prints the
//! configuration line holding only its sha256 (the gateway never stores the key).
use std::process::ExitCode;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use clap::{Args, Subcommand};
use rand::RngCore;

use crate::auth::apikey::{KEY_PREFIX, hash_key};

/// API key commands.
#[derive(Subcommand)]
pub enum KeysCommand {
    /// Print a new random API key (once) and the consumer entry to add to the configuration.
    Generate(GenerateArgs),
}

/// Arguments of `gateway keys generate`.
#[derive(Args)]
pub struct GenerateArgs {
    /// Consumer the key is for (its `name` under `consumers`).
    #[arg(long)]
    consumer: String,
}

/// A new key: `gw_` and 32 random bytes in base64url (43 characters).
pub fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Runs a `keys` subcommand.
pub fn keys(cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        KeysCommand::Generate(args) => {
            if args.consumer.is_empty()
                || !args
                    .consumer
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            {
                anyhow::bail!(
                    "consumer name `{}` must be letters, digits, `_`, `-` or `.`",
                    args.consumer
                );
            }
            let key = new_key();
            let digest = hex::encode(hash_key(&key));
            println!(
                "API key for consumer `{}` (shown only this once; give it to the consumer):",
                args.consumer
            );
            println!();
            println!("  {key}");
            println!();
            println!("Add its sha256 to the consumer in the configuration:");
            println!();
            println!("consumers:");
            println!("  - name: {}", args.consumer);
            println!("    api_keys: [{{ sha256: {digest} }}]");
            println!();
            println!("or append this line to the consumer's api_keys_file:");
            println!("{digest}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_prefixed_43_chars_of_base64url_and_differ() {
        let a = new_key();
        let b = new_key();
        assert_ne!(a, b);
        let body = a.strip_prefix("gw_").unwrap();
        assert_eq!(body.len(), 43);
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
    }
}
