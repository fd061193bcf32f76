mod grammar;
fn main() {}
