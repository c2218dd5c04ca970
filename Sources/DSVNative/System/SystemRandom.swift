import Glibc

/// Secret random bytes from the kernel (`getentropy`, the `getrandom` system call), the source
/// OpenSSL's generator itself is seeded from. Used for keys rather than `RAND_bytes`: setting up
/// OpenSSL's generator loads its configuration and providers, which paged 2 MB of libcrypto into
/// a first commit for a key of 1,072 bytes.
public enum SystemRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            // getentropy gives at most 256 bytes a call; it fails only on a kernel without
            // getrandom (before Linux 3.17), which glibc no longer runs on.
            for start in stride(from: 0, to: count, by: 256) {
                guard getentropy(buffer.baseAddress! + start, min(256, count - start)) == 0 else {
                    fatalError("getentropy failed: \(String(cString: strerror(errno)))")
                }
            }
        }
        return bytes
    }
}
