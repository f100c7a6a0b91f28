//! Criterion benchmark: decrypt with watermark check for 1 KiB and 64 KiB payloads.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wechat_crypto::{Ciphertext, Iv, SessionKey, decrypt_checked, encrypt};

fn payload(bytes: usize) -> serde_json::Map<String, serde_json::Value> {
    let mut fields = serde_json::Map::new();
    fields.insert("blob".into(), "x".repeat(bytes).into());
    fields
}

fn bench(c: &mut Criterion) {
    let key = SessionKey::from_bytes([3; 16]);
    let iv = Iv::from_bytes([4; 16]);
    let mut group = c.benchmark_group("decrypt_checked");
    for (name, size) in [("1KiB", 1024usize), ("64KiB", 64 * 1024)] {
        let enc = encrypt(&key, &iv, &payload(size - 80), "wxbench", 1);
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(name, |b| {
            b.iter(|| decrypt_checked(&key, &enc.iv, &enc.encrypted_data, "wxbench"))
        });
    }
    group.finish();

    // The AES-128-CBC + PKCS#7 part alone, comparable with `openssl speed -evp aes-128-cbc`.
    let mut group = c.benchmark_group("aes_cbc_decrypt");
    for (name, size) in [("1KiB", 1024usize), ("64KiB", 64 * 1024)] {
        let enc = encrypt(&key, &iv, &payload(size - 80), "wxbench", 1);
        let ciphertext =
            Ciphertext::from_base64(&enc.iv, &enc.encrypted_data).expect("valid ciphertext");
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(name, |b| b.iter(|| ciphertext.decrypt_bytes(&key)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
