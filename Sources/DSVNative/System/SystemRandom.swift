import Glibc

/// Secret random bytes from the kernel (`/dev/urandom`), the source OpenSSL's generator itself is
/// seeded from. Used for keys rather than `RAND_bytes`: setting up OpenSSL's generator loads its
/// configuration and providers, which paged 2 MB of libcrypto into a first commit for 168 bytes.
/// (Glibc's `getrandom` is not in Swift's Glibc module.)
public enum SystemRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        let descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { fatalError("cannot open /dev/urandom: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let read = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + filled, count - filled) }
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else { fatalError("cannot read /dev/urandom: \(String(cString: strerror(errno)))") }
            filled += read
        }
        return bytes
    }
}
