// swift-tools-version:6.0
import PackageDescription

/// Layers, lowest first: C modules → DSVNative (typed wrappers) → DSVJSON (faithful JSON)
/// → DSVStorage (repository, S3, CVAT) → DSVDataset (faithful COCO, manifest, operations) → the `dsv` CLI.
let package = Package(
    name: "dsv",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dsv", targets: ["dsv"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: C modules — module maps, headers, two shims, one checksum and one minifier kernel.
        // libgit2 and libcrypto are linked from the static archives their -dev packages install
        // (their module maps name them), without pkg-config's `-lgit2` and `-lcrypto`: loading
        // libgit2.so's tree of 20 shared libraries and libcrypto.so, and binding their symbols,
        // took 2 ms of every process's start on this project's machine (`dsv log` 9.6 → 7.5 ms,
        // medians of 30). Their headers are on the compiler's default path.
        .systemLibrary(name: "CGit2", providers: [.apt(["libgit2-dev"])]),
        // libcurl's headers only, without pkg-config's `-lcurl`: CCurlShim loads libcurl on first
        // use, so that the commands that never talk to S3 or CVAT do not pay to load its library
        // tree (about 5 ms and 4 MB per process). Its headers are on the compiler's default path.
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CCurlShim", dependencies: ["CCurl"]),
        .target(name: "CGit2Shim", dependencies: ["CGit2"]),
        // CRC-32 folded with carry-less multiplication where the CPU has it (zlib's otherwise).
        .target(name: "CChecksum"),
        // The minifier's blocks packed with AVX-512 VBMI2 where the CPU has it.
        .target(name: "CMinify"),
        // A process's exit that leaves the unmapping of its memory to another process.
        .target(name: "CProcess"),

        // MARK: Typed Swift wrappers over the C APIs; nothing above this layer touches C pointers.
        .target(name: "DSVNative", dependencies: ["CGit2", "CGit2Shim", "CCurl", "CCurlShim", "COpenSSL", "CZstd", "CZlib",
                                                 "CChecksum", "CMinify", "CProcess"],
                // libgit2's call that parses the CA bundle goes to CGit2Shim, which defers it.
                linkerSettings: [.unsafeFlags(["-Xlinker", "--wrap=mbedtls_x509_crt_parse_file"])]),

        // MARK: Faithful JSON: the validating scanner (no tree), small values, the minifier.
        .target(name: "DSVJSON", dependencies: ["DSVNative"]),

        // MARK: Storage: the dsv repository on libgit2, the S3 client, the CVAT client.
        .target(name: "DSVStorage", dependencies: ["DSVNative", "DSVJSON"]),

        // MARK: The dataset model: faithful COCO, the manifest, and the operations the CLI calls.
        .target(name: "DSVDataset", dependencies: ["DSVNative", "DSVJSON", "DSVStorage"]),

        // MARK: Executables.
        .executableTarget(name: "dsv", dependencies: [
            "DSVDataset", "DSVStorage",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "dsv-bench", dependencies: ["DSVDataset", "DSVStorage", "DSVNative"]),
        // libFuzzer target for the COCO reader (`make fuzz`); without -D FUZZING it replays files.
        .executableTarget(name: "dsv-fuzz", dependencies: ["DSVDataset", "DSVStorage", "DSVNative"]),

        // MARK: Tests mirror Sources/; DSVTestSupport holds what several of them share.
        .target(name: "DSVTestSupport", dependencies: ["DSVNative", "DSVStorage"], path: "Tests/DSVTestSupport"),
        .testTarget(name: "DSVNativeTests", dependencies: ["DSVNative", "DSVTestSupport"]),
        .testTarget(name: "DSVJSONTests", dependencies: ["DSVJSON", "DSVNative", "DSVTestSupport"]),
        .testTarget(name: "DSVStorageTests", dependencies: ["DSVStorage", "DSVNative", "DSVTestSupport"]),
        .testTarget(name: "DSVDatasetTests", dependencies: ["DSVDataset", "DSVStorage", "DSVNative", "DSVTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "dsvTests", dependencies: ["DSVNative", "DSVStorage", "DSVTestSupport"]),
    ]
)
