//! Compute benchmark: counts the primes below N (default 50 million) with a
//! sieve of Eratosthenes, several rounds, and prints the count. The same
//! source builds natively for the native reference.

fn sieve(limit: usize) -> usize {
    let mut composite = vec![false; limit];
    let mut count = 0;
    for i in 2..limit {
        if !composite[i] {
            count += 1;
            let mut j = i * i;
            while j < limit {
                composite[j] = true;
                j += i;
            }
        }
    }
    count
}

fn main() {
    let limit: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(50_000_000);
    let rounds: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let mut count = 0;
    for _ in 0..rounds {
        count = sieve(limit);
    }
    println!("primes below {limit}: {count}");
}
