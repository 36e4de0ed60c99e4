//! Hostile: opens a FIFO (and a socket file) of a host mount, hoping the
//! open blocks while capsa holds its filesystem lock. Each open must fail
//! at once with ENXIO; the VM's filesystem keeps working meanwhile.

fn errno(result: std::io::Result<std::fs::File>) -> String {
    match result {
        Ok(_) => "opened".into(),
        Err(err) => err.raw_os_error().map_or_else(|| err.to_string(), |n| n.to_string()),
    }
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: hostile_fifo <mount>");
    println!("fifo-read {}", errno(std::fs::File::open(format!("{dir}/fifo"))));
    println!("fifo-write {}", errno(std::fs::OpenOptions::new().write(true).open(format!("{dir}/fifo"))));
    println!("socket {}", errno(std::fs::File::open(format!("{dir}/sock"))));
    let listed = std::fs::read_dir(&dir).expect("the mount still lists").count();
    println!("listed {listed}");
    println!("ok");
}
