use super::*;
use crate::engine::arrivals::CONSTANT;

/// A budget starting now, with an alarm that uses tokio's (paused) timer only.
fn budget<'a>(progress: &'a Progress, alarm: &'a Alarm, stop: StopAt) -> Budget<'a> {
    Budget {
        stop,
        start: Instant::now(),
        progress,
        arrivals: &CONSTANT,
        alarm,
    }
}

fn paused_alarm() -> Alarm {
    Alarm::coarse(8)
}

/// The pacer's next request, with the worker's alarm driven beside it.
async fn next(p: &mut Pacer, b: &Budget<'_>) -> Option<Due> {
    tokio::select! {
        biased;
        () = b.alarm.run() => unreachable!("the alarm never finishes"),
        due = p.next(b) => due,
    }
}

#[tokio::test(start_paused = true)]
async fn per_connection_rate_spaces_requests() {
    let progress = Progress::default();
    let alarm = paused_alarm();
    let b = budget(&progress, &alarm, StopAt::Requests(100));
    let mut p = Pacer::new(Pacing::PerConnection {
        interval: Duration::from_millis(100),
    });
    for _ in 0..5 {
        next(&mut p, &b).await.unwrap();
    }
    // Sends at 0, 100, 200, 300, 400 ms.
    assert_eq!(Instant::now() - b.start, Duration::from_millis(400));
}

#[tokio::test(start_paused = true)]
async fn late_requests_do_not_burst() {
    let progress = Progress::default();
    let alarm = paused_alarm();
    let b = budget(&progress, &alarm, StopAt::Requests(100));
    let mut p = Pacer::new(Pacing::PerConnection {
        interval: Duration::from_millis(100),
    });
    next(&mut p, &b).await.unwrap();
    tokio::time::sleep(Duration::from_millis(550)).await;
    let t1 = Instant::now();
    next(&mut p, &b).await.unwrap(); // overdue: immediately
    next(&mut p, &b).await.unwrap(); // but the next one is a full interval later
    assert_eq!(Instant::now() - t1, Duration::from_millis(100));
}

#[tokio::test(start_paused = true)]
async fn closed_loop_stops_after_exactly_n() {
    let progress = Progress::default();
    let alarm = paused_alarm();
    let b = budget(&progress, &alarm, StopAt::Requests(3));
    let mut p = Pacer::new(Pacing::Closed);
    let mut sent = 0;
    while next(&mut p, &b).await.is_some() {
        sent += 1;
    }
    assert_eq!((sent, Instant::now()), (3, b.start));
}

#[tokio::test(start_paused = true)]
async fn open_loop_follows_the_schedule_and_flags_requests_due_while_busy() {
    let progress = Progress::default();
    let alarm = paused_alarm();
    let b = budget(&progress, &alarm, StopAt::Duration(Duration::from_secs(1)));
    let mut p = Pacer::new(Pacing::OpenLoop {
        interval: Duration::from_millis(250),
    });
    let first = next(&mut p, &b).await.unwrap();
    assert_eq!(
        (first.intended, first.released, first.late),
        (b.start, b.start, false)
    );
    tokio::time::sleep(Duration::from_millis(600)).await; // a slow response
    p.freed(Instant::now());
    let second = next(&mut p, &b).await.unwrap();
    assert_eq!(second.intended, b.start + Duration::from_millis(250));
    assert!(second.late, "due at 250 ms, connection free at 600 ms");
    assert_eq!(
        second.released - second.intended,
        Duration::from_millis(350)
    );
    p.freed(Instant::now());
    let third = next(&mut p, &b).await.unwrap();
    assert_eq!(third.intended, b.start + Duration::from_millis(500));
    assert!(
        third.late,
        "due at 500 ms, still busy with the second until 600 ms"
    );
    p.freed(Instant::now());
    let fourth = next(&mut p, &b).await.unwrap();
    assert!(!fourth.late);
    assert_eq!(fourth.released, b.start + Duration::from_millis(750));
    assert!(
        next(&mut p, &b).await.is_none(),
        "1000 ms is past the 1 s deadline"
    );
}

#[tokio::test(start_paused = true)]
async fn a_late_start_is_not_a_late_send() {
    // Like `--rate 100000 -n 10 -c 10`: every ticket is due within 100 us of the start,
    // and the connections only begin some time after it. They were free all along, so
    // nothing is late; the start-up delay shows as send lateness instead.
    let progress = Progress::default();
    let alarm = paused_alarm();
    let b = budget(&progress, &alarm, StopAt::Requests(10));
    tokio::time::advance(Duration::from_millis(2)).await;
    let mut pacers: Vec<_> = (0..10)
        .map(|_| {
            Pacer::new(Pacing::OpenLoop {
                interval: Duration::from_micros(10),
            })
        })
        .collect();
    for p in &mut pacers {
        let due = next(p, &b).await.unwrap();
        assert!(!due.late, "{due:?}");
        assert!(due.released - due.intended >= Duration::from_micros(1_900));
    }
    assert!(next(&mut pacers[0], &b).await.is_none(), "-n 10 is used up");
}

#[tokio::test(start_paused = true)]
async fn idle_connections_are_never_late() {
    // Like `--rate 100 -c 5` against an instant server: each connection is free long
    // before its next ticket is due.
    let progress = Progress::default();
    let alarm = paused_alarm();
    let b = budget(&progress, &alarm, StopAt::Duration(Duration::from_secs(2)));
    let interval = Duration::from_millis(10);
    let mut pacers: Vec<_> = (0..5)
        .map(|_| Pacer::new(Pacing::OpenLoop { interval }))
        .collect();
    let mut sent = 0;
    'run: loop {
        for p in &mut pacers {
            let Some(due) = next(p, &b).await else {
                break 'run;
            };
            assert!(!due.late && due.released == due.intended, "{due:?}");
            p.freed(Instant::now() + Duration::from_micros(50));
            sent += 1;
        }
    }
    assert_eq!(sent, 200);
}

/// The intended send offsets (ms) of a `--rate 1000 --arrival poisson --seed seed`
/// run of `n` requests over three connections, as the pacers hand them out.
async fn poisson_schedule(seed: u64, n: u64) -> Vec<u128> {
    let mut config = RunConfig::get(
        crate::url::Target::parse("http://h/").unwrap(),
        StopAt::Requests(n),
        3,
    );
    config.rate = Some(1000.0);
    config.arrival = crate::config::Arrival::Poisson {
        burstiness: 1.0,
        seed,
    };
    let arrivals = Arrivals::of(&config);
    let progress = Progress::default();
    let alarm = paused_alarm();
    let b = Budget {
        arrivals: &arrivals,
        ..budget(&progress, &alarm, config.stop)
    };
    let mut pacers: Vec<_> = (0..3).map(|_| Pacer::new(Pacing::of(&config))).collect();
    let mut offsets = Vec::new();
    'run: loop {
        for p in &mut pacers {
            let Some(due) = next(p, &b).await else {
                break 'run;
            };
            offsets.push((due.intended - b.start).as_micros());
        }
    }
    offsets
}

#[tokio::test(start_paused = true)]
async fn a_poisson_schedule_keeps_the_rate_and_repeats_with_its_seed() {
    let first = poisson_schedule(11, 2000).await;
    assert_eq!(first.len(), 2000);
    assert!(first.windows(2).all(|w| w[0] <= w[1]), "taken in order");
    assert_eq!(first, poisson_schedule(11, 2000).await);
    assert_ne!(first, poisson_schedule(12, 2000).await);
    // 2000 requests at 1000/s: about 2 s (a Poisson count's sd is ~2.2% here).
    let span_s = first[1999] as f64 / 1e6;
    assert!((1.8..2.2).contains(&span_s), "{span_s}");
    let gaps: Vec<u128> = first.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().any(|&g| g > 3000) && gaps.iter().any(|&g| g < 100));
}

#[tokio::test(start_paused = true)]
async fn cancel_ends_every_policy() {
    let progress = Progress::default();
    let alarm = paused_alarm();
    progress.cancel();
    let b = budget(&progress, &alarm, StopAt::Requests(10));
    for pacing in [
        Pacing::Closed,
        Pacing::OpenLoop {
            interval: Duration::from_millis(1),
        },
    ] {
        assert!(next(&mut Pacer::new(pacing), &b).await.is_none());
    }
}
