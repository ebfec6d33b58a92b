// The digit-writing data set (see digit_data.hpp).
#include "pods/hndp/digit_data.hpp"

#include "common/input_error.hpp"
#include "policy/dmp_fit.hpp"
#include "policy/dmp_io.hpp"

#include <filesystem>

namespace podsim::pods::hndp {

std::vector<DigitStroke> read_digit_strokes(const std::string& dir, int plan_steps)
{
    std::vector<DigitStroke> out;
    for (int d = 0; d <= 9; ++d) {
        DigitStroke s;
        s.digit = d;
        s.file = dir + "/digit_" + std::to_string(d) + ".csv";
        if (!std::filesystem::is_regular_file(s.file))
            throw common::InputError(s.file + ": no such file (a digit folder holds digit_0.csv .. digit_9.csv)");
        const policy::Demonstration demo = policy::read_demo_csv(s.file);
        if (demo.names.size() != 2 || demo.names[0] != "x" || demo.names[1] != "y") {
            std::string header = "time";
            for (const std::string& n : demo.names) header += "," + n;
            throw common::InputError(s.file + ": header: got \"" + header + "\", must be \"time,x,y\" (a planar stroke)");
        }
        const Eigen::Vector2d extent = demo.y.rowwise().maxCoeff() - demo.y.rowwise().minCoeff();
        if (!(extent.minCoeff() >= 1e-6))
            throw common::InputError(s.file + ": the stroke spans " + std::to_string(extent.x()) + " x " +
                                     std::to_string(extent.y()) + ", must span more than 1e-6 in x and y");
        s.dense = demo.y;
        s.plan = policy::resample_demo(demo, plan_steps);
        out.push_back(std::move(s));
    }
    return out;
}

DigitSample make_sample(const DigitStroke& stroke, const DigitTransform& t, int image_size)
{
    DigitSample s;
    s.digit = stroke.digit;
    s.transform = t;
    s.image = render_stroke(transform_stroke(stroke.dense, t), t.width, image_size);
    const Eigen::Matrix2Xd plan = transform_stroke(stroke.plan, t);
    s.target = Eigen::Map<const Eigen::VectorXd>(plan.data(), plan.size());
    return s;
}

Eigen::VectorXd local_observation(const DigitSample& s)
{
    Eigen::VectorXd o(kLocalObservations);
    o << s.target[0], s.target[1], s.transform.shift_x, s.transform.shift_y, s.transform.scale, s.transform.rotation,
        s.transform.width;
    return o;
}

Eigen::VectorXd global_observation(const DigitSample& s)
{
    Eigen::VectorXd o(2 + s.image.size());
    o << s.target[0], s.target[1], Eigen::VectorXd::Ones(s.image.size()) - s.image;
    return o;
}

} // namespace podsim::pods::hndp
