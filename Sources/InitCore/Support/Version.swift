/// swinit's version, shown by `swinit --version` and `initctl version`.
public enum Version {
    public static let string = "0.1.0"
}
