import VigilCore

/// Why a theme could not be used: the file (or the theme name when no file was found), and when known the
/// line and column at fault. The same type as every other configuration error.
public typealias ThemeError = ConfigError
