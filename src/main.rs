//! The psimon command line: everything is in [`psimon::cli`].

fn main() -> std::process::ExitCode {
    psimon::cli::main()
}
