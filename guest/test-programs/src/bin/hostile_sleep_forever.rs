//! Hostile: sleeps "forever" with a relative clock subscription of u64::MAX
//! nanoseconds. The host must end it at its wall-clock limit.

fn main() {
    println!("sleeping");
    let sub = wasi::Subscription {
        userdata: 1,
        u: wasi::SubscriptionU {
            tag: wasi::EVENTTYPE_CLOCK.raw(),
            u: wasi::SubscriptionUU {
                clock: wasi::SubscriptionClock {
                    id: wasi::CLOCKID_MONOTONIC,
                    timeout: u64::MAX,
                    precision: 0,
                    flags: 0,
                },
            },
        },
    };
    let mut event = std::mem::MaybeUninit::<wasi::Event>::uninit();
    // SAFETY: one subscription in, room for one event out, as poll_oneoff requires.
    let result = unsafe { wasi::poll_oneoff(&sub, event.as_mut_ptr(), 1) };
    // Reaching this line means the sleep ended: the host should have killed us.
    println!("woke: {result:?}");
}
