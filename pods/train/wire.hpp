#pragma once
// The byte encoding of what ranks exchange in distributed training (docs/distributed.md):
// integers, doubles, strings and Eigen matrices in native binary form, so every double arrives
// bit for bit. Both ends are the same podsim binary on machines of one architecture.

#include <Eigen/Core>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace podsim::pods {

/// Appends values to a byte string.
class WireWriter {
public:
    template <class T>
        requires std::is_arithmetic_v<T>
    void put(T v)
    {
        m_bytes.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void put(std::string_view s)
    {
        put(std::uint64_t(s.size()));
        m_bytes.append(s);
    }
    /// Rows, columns, then the column-major entries.
    template <class Derived>
    void put_matrix(const Eigen::PlainObjectBase<Derived>& m)
    {
        put(std::int64_t(m.rows()));
        put(std::int64_t(m.cols()));
        if (m.size() > 0) // an empty matrix's data() may be null
            m_bytes.append(reinterpret_cast<const char*>(m.data()), std::size_t(m.size()) * sizeof(typename Derived::Scalar));
    }

    const std::string& bytes() const { return m_bytes; }

private:
    std::string m_bytes;
};

/// Reads values back in the order they were written; throws std::runtime_error when the bytes
/// run out or do not match (a message from a different podsim build).
class WireReader {
public:
    explicit WireReader(std::string_view bytes) : m_bytes(bytes) {}

    template <class T>
        requires std::is_arithmetic_v<T>
    T get()
    {
        T v;
        std::memcpy(&v, take(sizeof v), sizeof v);
        return v;
    }
    std::string get_string()
    {
        const auto n = get<std::uint64_t>();
        return std::string(take(n), n);
    }
    template <class Matrix>
    void get_matrix(Matrix& m)
    {
        const auto rows = get<std::int64_t>(), cols = get<std::int64_t>();
        if (rows < 0 || cols < 0 || (Matrix::ColsAtCompileTime == 1 && cols != 1))
            throw std::runtime_error("distributed training: malformed message (matrix shape)");
        // the byte count first (without overflow): a malformed shape must not allocate
        using Scalar = typename Matrix::Scalar;
        if (rows > 0 && cols > 0 && std::size_t(rows) > (m_bytes.size() - m_pos) / sizeof(Scalar) / std::size_t(cols))
            throw std::runtime_error("distributed training: malformed message (truncated)");
        const std::size_t bytes = std::size_t(rows) * std::size_t(cols) * sizeof(Scalar);
        const char* from = take(bytes);
        m.resize(rows, cols);
        if (bytes > 0) std::memcpy(m.data(), from, bytes); // an empty matrix's data() may be null
    }
    /// Throws unless every byte was read.
    void expect_end() const
    {
        if (m_pos != m_bytes.size()) throw std::runtime_error("distributed training: malformed message (trailing bytes)");
    }

private:
    const char* take(std::size_t n)
    {
        if (n > m_bytes.size() - m_pos) throw std::runtime_error("distributed training: malformed message (truncated)");
        const char* p = m_bytes.data() + m_pos;
        m_pos += n;
        return p;
    }

    std::string_view m_bytes;
    std::size_t m_pos = 0;
};

} // namespace podsim::pods
